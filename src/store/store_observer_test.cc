#include "store/store_observer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>

#include "store/scratch_dir.h"

namespace weft::store {
namespace {

using engine::HandlerKind;
using engine::RunInfo;
using engine::RunRef;
using engine::Status;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::shared_ptr<dag::Dag> MakeDag() {
  auto dag = std::make_shared<dag::Dag>();
  dag->name = "etl";
  dag->file = "/dags/etl.yaml";
  for (const char* name : {"extract", "transform", "load"}) {
    dag::Step step;
    step.name = name;
    dag->steps.push_back(step);
  }
  dag::Step on_failure;
  on_failure.name = "onFailure";
  dag->handler_on.failure = on_failure;
  return dag;
}

// A run as the engine would publish it at its start: every DAG step not started yet.
RunInfo MakeRunInfo(std::shared_ptr<const dag::Dag> dag) {
  RunInfo run;
  run.dag = dag;
  run.run_id = "run-1";
  run.run_dir = "/home/runs/etl/run-1";
  run.params_json = R"({"DAY":"monday"})";
  run.parent = RunRef{"nightly", "n-7"};
  run.root = RunRef{"nightly", "n-7"};
  run.trace_id = "0af7651916cd43dd8448eb211c80319c";
  run.status = Status::kRunning;
  run.started_at_ns = 1'000;
  for (const dag::Step& step : dag->steps) {
    engine::StepState state;
    state.step = &step;
    state.stdout_file = "/logs/" + step.name + ".out";
    state.stderr_file = "/logs/" + step.name + ".err";
    run.steps.push_back(state);
  }
  return run;
}

// Collects what the default spdlog logger prints while the test runs.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::string text() const { return text_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

class StoreObserverTest : public ::testing::Test {
 protected:
  StoreObserverTest() : dag_(MakeDag()), run_(MakeRunInfo(dag_)) {}

  std::filesystem::path home() const { return dir_.path() / "home"; }

  ScratchDir dir_;
  std::shared_ptr<const dag::Dag> dag_;
  RunInfo run_;
};

TEST_F(StoreObserverTest, RunStartRecordsTheRunAndAllItsSteps) {
  RunStore store(home());
  StoreObserver observer(store, "fan_out");
  observer.OnRunStarted(run_);
  observer.Flush();

  const auto stored = store.FindRun({"etl", "run-1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->dag_file, "/dags/etl.yaml");
  EXPECT_EQ(stored->run_dir, "/home/runs/etl/run-1");
  EXPECT_EQ(stored->status, Status::kRunning);
  EXPECT_EQ(stored->started_at_ns, 1'000);
  EXPECT_EQ(stored->params_json, R"({"DAY":"monday"})");
  EXPECT_EQ(stored->parent->run_id, "n-7");
  EXPECT_EQ(stored->root->name, "nightly");
  EXPECT_EQ(stored->parent_step, "fan_out");
  EXPECT_EQ(stored->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(stored->exit_code, std::nullopt);
  EXPECT_EQ(stored->process, ProcessIdentity::Self());
  EXPECT_EQ(stored->attempt, 1);

  const auto steps = store.Steps({"etl", "run-1"});
  ASSERT_EQ(steps.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(steps[i].index, i);
    EXPECT_EQ(steps[i].name, dag_->steps[i].name);
    EXPECT_EQ(steps[i].status, Status::kNotStarted);
    EXPECT_EQ(steps[i].stdout_file, "/logs/" + dag_->steps[i].name + ".out");
  }
  EXPECT_TRUE(observer.complete());
}

// The run is on disk when OnRunStarted returns, before any step can run; its steps follow with
// the writer's next round, so the engine's first start never waits for them.
TEST_F(StoreObserverTest, RunIsStoredWhenTheStartReturnsAndItsStepsFollow) {
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run_);
  const auto stored = store.FindRun({"etl", "run-1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, Status::kRunning);
  observer.Flush();
  EXPECT_EQ(store.Steps({"etl", "run-1"}).size(), 3u);
}

TEST_F(StoreObserverTest, StepChangeUpdatesThatStepOnly) {
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run_);

  engine::StepState& extract = run_.steps[0];
  extract.status = Status::kRunning;
  extract.started_at_ns = 1'100;
  extract.pid = 321;
  observer.OnStepChanged(run_, 0);
  observer.Flush();
  auto steps = store.Steps({"etl", "run-1"});
  EXPECT_EQ(steps[0].status, Status::kRunning);
  EXPECT_EQ(steps[0].pid, 321);

  extract.status = Status::kFailed;
  extract.exit_code = 3;
  extract.finished_at_ns = 1'200;
  extract.retry_count = 1;
  extract.error = "exit code 3";
  // Another step changes in memory without a notification: the store must not pick it up.
  run_.steps[1].status = Status::kAborted;
  observer.OnStepChanged(run_, 0);
  observer.Flush();

  steps = store.Steps({"etl", "run-1"});
  EXPECT_EQ(steps[0].status, Status::kFailed);
  EXPECT_EQ(steps[0].exit_code, 3);
  EXPECT_EQ(steps[0].finished_at_ns, 1'200);
  EXPECT_EQ(steps[0].retry_count, 1);
  EXPECT_EQ(steps[0].error, "exit code 3");
  EXPECT_EQ(steps[1].status, Status::kNotStarted);
}

TEST_F(StoreObserverTest, HandlerStepIsInsertedWhenItFirstAppears) {
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run_);

  engine::StepState handler;
  handler.step = &*dag_->handler_on.failure;
  handler.handler = HandlerKind::kFailure;
  handler.status = Status::kRunning;
  run_.steps.push_back(handler);
  observer.OnStepChanged(run_, 3);
  observer.Flush();

  const auto steps = store.Steps({"etl", "run-1"});
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[3].index, 3);
  EXPECT_EQ(steps[3].name, "onFailure");
  EXPECT_EQ(steps[3].handler, HandlerKind::kFailure);
  EXPECT_EQ(steps[3].status, Status::kRunning);
}

TEST_F(StoreObserverTest, RunEndRecordsStatusExitCodeAndOutputs) {
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run_);
  run_.status = Status::kPartiallySucceeded;
  run_.finished_at_ns = 2'000;
  run_.error = "extract failed";
  run_.outputs = {{"COUNT", "42"}, {"PATH", "/tmp/out"}};
  observer.OnRunFinished(run_);

  const auto stored = store.FindRun({"etl", "run-1"});
  EXPECT_EQ(stored->status, Status::kPartiallySucceeded);
  EXPECT_EQ(stored->finished_at_ns, 2'000);
  EXPECT_EQ(stored->error, "extract failed");
  EXPECT_EQ(stored->exit_code, 1);
  EXPECT_EQ(store.RunOutputs({"etl", "run-1"}), (Outputs{{"COUNT", "42"}, {"PATH", "/tmp/out"}}));
}

TEST_F(StoreObserverTest, ValuesOfSecretParamsAreMaskedInStoredErrors) {
  auto dag = MakeDag();
  dag->secrets = {"DB_URL"};
  RunInfo run = MakeRunInfo(dag);
  run.params_json = R"({"DAY":"monday","API_TOKEN":"tok-123456","DB_URL":"postgres://u:pw@db"})";
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run);
  run.steps[0].error = "login with tok-123456 refused";
  observer.OnStepChanged(run, 0);
  run.status = Status::kFailed;
  run.error = "cannot reach postgres://u:pw@db";
  run.outputs = {{"SESSION_KEY", "k-abcdef"}};
  observer.OnRunFinished(run);

  const auto stored = store.FindRun({"etl", "run-1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->error, "cannot reach ***");
  EXPECT_EQ(store.Steps({"etl", "run-1"})[0].error, "login with *** refused");
  // `weft retry` runs again with the params and outputs as they were.
  EXPECT_EQ(stored->params_json, run.params_json);
  EXPECT_EQ(store.RunOutputs({"etl", "run-1"}), (Outputs{{"SESSION_KEY", "k-abcdef"}}));
}

TEST_F(StoreObserverTest, ValuesOfTheCallersMaskerAreMaskedInStoredErrors) {
  eval::SecretMasker masker;
  masker.Add("Bearer abc.def");
  RunStore store(home());
  StoreObserver observer(store, "", std::move(masker));
  observer.OnRunStarted(run_);
  run_.steps[1].error = "401 for Bearer abc.def";
  observer.OnStepChanged(run_, 1);
  run_.status = Status::kFailed;
  run_.error = "step 2: 401 for Bearer abc.def";
  observer.OnRunFinished(run_);
  EXPECT_EQ(store.Steps({"etl", "run-1"})[1].error, "401 for ***");
  EXPECT_EQ(store.FindRun({"etl", "run-1"})->error, "step 2: 401 for ***");
}

TEST_F(StoreObserverTest, SucceededRunRecordsExitCodeZero) {
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run_);
  run_.status = Status::kSucceeded;
  observer.OnRunFinished(run_);
  EXPECT_EQ(store.FindRun({"etl", "run-1"})->exit_code, 0);
}

TEST(StartExitCodeTest, FollowsTheStartCommandRule) {
  EXPECT_EQ(StartExitCode(Status::kSucceeded), 0);
  EXPECT_EQ(StartExitCode(Status::kFailed), 1);
  EXPECT_EQ(StartExitCode(Status::kAborted), 1);
  EXPECT_EQ(StartExitCode(Status::kPartiallySucceeded), 1);
}

TEST_F(StoreObserverTest, RestartingTheSameRunIdCountsAttempts) {
  RunStore store(home());
  StoreObserver first(store);
  first.OnRunStarted(run_);
  run_.status = Status::kFailed;
  first.OnRunFinished(run_);

  run_.status = Status::kRunning;
  StoreObserver retry(store);
  retry.OnRunStarted(run_);
  retry.Flush();
  EXPECT_EQ(store.FindRun({"etl", "run-1"})->attempt, 2);
  EXPECT_EQ(store.FindRun({"etl", "run-1"})->exit_code, std::nullopt);
}

TEST_F(StoreObserverTest, StepIndexBeyondTheRunIsLoggedNotWritten) {
  CapturedLog log;
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run_);
  observer.OnStepChanged(run_, 7);
  observer.Flush();
  EXPECT_EQ(store.Steps({"etl", "run-1"}).size(), 3u);
  EXPECT_THAT(log.text(), AllOf(HasSubstr("run-1"), HasSubstr("step 7"), HasSubstr("3 steps")));
}

TEST_F(StoreObserverTest, EngineThreadDoesNotWaitForTheDatabase) {
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run_);
  observer.Flush();
  {
    // Another process holds the write lock: were the observer to write on the engine's thread,
    // this call would wait for the busy timeout and the change would then be lost.
    Database other(store.path());
    WriteTransaction held(other);
    run_.steps[2].status = Status::kRunning;
    observer.OnStepChanged(run_, 2);
  }
  observer.Flush();
  EXPECT_TRUE(observer.complete());
  EXPECT_EQ(store.Steps({"etl", "run-1"})[2].status, Status::kRunning);
}

TEST_F(StoreObserverTest, StepChangedSeveralTimesWhileTheWriterWaitsEndsInItsLatestState) {
  RunStore store(home());
  StoreObserver observer(store);
  observer.OnRunStarted(run_);
  observer.Flush();
  {
    Database other(store.path());
    WriteTransaction held(other);
    engine::StepState& load = run_.steps[2];
    for (const Status status : {Status::kRunning, Status::kFailed, Status::kRunning}) {
      load.status = status;
      ++load.retry_count;
      observer.OnStepChanged(run_, 2);
    }
    load.status = Status::kSucceeded;
    load.exit_code = 0;
    observer.OnStepChanged(run_, 2);
  }
  observer.Flush();
  const auto steps = store.Steps({"etl", "run-1"});
  EXPECT_EQ(steps[2].status, Status::kSucceeded);
  EXPECT_EQ(steps[2].retry_count, 3);
  EXPECT_EQ(steps[2].exit_code, 0);
}

TEST_F(StoreObserverTest, DestroyingTheObserverWritesWhatIsPending) {
  RunStore store(home());
  {
    StoreObserver observer(store);
    observer.OnRunStarted(run_);
    run_.steps[0].status = Status::kRunning;
    observer.OnStepChanged(run_, 0);
  }
  const auto steps = store.Steps({"etl", "run-1"});
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].status, Status::kRunning);
}

TEST_F(StoreObserverTest, FailedWriteIsLoggedAndRepairedByTheNextEvent) {
  CapturedLog log;
  RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(0)});
  StoreObserver observer(store);
  observer.OnRunStarted(run_);
  observer.Flush();

  run_.steps[0].status = Status::kSucceeded;
  run_.steps[0].exit_code = 0;
  {
    // Another process holds the write lock for longer than the busy timeout.
    Database other(store.path());
    WriteTransaction held(other);
    observer.OnStepChanged(run_, 0);
    observer.Flush();
  }
  EXPECT_FALSE(observer.complete());
  EXPECT_THAT(log.text(),
              AllOf(HasSubstr("etl run-1"), HasSubstr(store.path()), HasSubstr("incomplete")));
  EXPECT_EQ(store.Steps({"etl", "run-1"})[0].status, Status::kNotStarted);

  // The next event, once writing works again, writes the whole run: the lost change too.
  run_.steps[1].status = Status::kRunning;
  observer.OnStepChanged(run_, 1);
  observer.Flush();
  EXPECT_TRUE(observer.complete());
  const auto steps = store.Steps({"etl", "run-1"});
  EXPECT_EQ(steps[0].status, Status::kSucceeded);
  EXPECT_EQ(steps[0].exit_code, 0);
  EXPECT_EQ(steps[1].status, Status::kRunning);
}

TEST_F(StoreObserverTest, LostStartIsRepairedAtTheEnd) {
  CapturedLog log;
  RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(0)});
  StoreObserver observer(store);
  {
    Database other(store.path());
    WriteTransaction held(other);
    observer.OnRunStarted(run_);
    observer.Flush();
  }
  EXPECT_FALSE(observer.complete());
  EXPECT_EQ(store.FindRun({"etl", "run-1"}), std::nullopt);

  run_.status = Status::kSucceeded;
  run_.finished_at_ns = 3'000;
  run_.outputs = {{"OUT", "1"}};
  observer.OnRunFinished(run_);
  EXPECT_TRUE(observer.complete());
  const auto stored = store.FindRun({"etl", "run-1"});
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, Status::kSucceeded);
  EXPECT_EQ(stored->exit_code, 0);
  EXPECT_EQ(stored->attempt, 1);
  EXPECT_EQ(store.Steps({"etl", "run-1"}).size(), 3u);
  EXPECT_EQ(store.RunOutputs({"etl", "run-1"}), (Outputs{{"OUT", "1"}}));
}

TEST_F(StoreObserverTest, LostStepsAfterTheStartAreRewrittenWithTheAttemptKept) {
  CapturedLog log;
  RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(0)});
  {
    StoreObserver first(store);
    first.OnRunStarted(run_);
  }
  StoreObserver retry(store);
  retry.OnRunStarted(run_);
  retry.Flush();
  ASSERT_EQ(store.FindRun({"etl", "run-1"})->attempt, 2);
  {
    Database other(store.path());
    WriteTransaction held(other);
    run_.steps[0].status = Status::kFailed;
    retry.OnStepChanged(run_, 0);
    retry.Flush();
  }
  run_.status = Status::kFailed;
  retry.OnRunFinished(run_);
  EXPECT_TRUE(retry.complete());
  const auto stored = store.FindRun({"etl", "run-1"});
  EXPECT_EQ(stored->attempt, 2);
  EXPECT_EQ(stored->status, Status::kFailed);
  EXPECT_EQ(stored->exit_code, 1);
  EXPECT_EQ(store.Steps({"etl", "run-1"})[0].status, Status::kFailed);
}

TEST_F(StoreObserverTest, WriteThatKeepsFailingNeverThrows) {
  CapturedLog log;
  RunStore store(home(), {.busy_timeout = std::chrono::milliseconds(0)});
  StoreObserver observer(store);
  Database other(store.path());
  WriteTransaction held(other);
  EXPECT_NO_THROW(observer.OnRunStarted(run_));
  EXPECT_NO_THROW(observer.OnStepChanged(run_, 0));
  EXPECT_NO_THROW(observer.OnRunFinished(run_));
  EXPECT_FALSE(observer.complete());
  EXPECT_THAT(log.text(), HasSubstr("could not record run etl run-1"));
}

}  // namespace
}  // namespace weft::store
