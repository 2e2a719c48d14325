#include "engine/dag_run.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace weft::engine {
namespace {

using ::testing::ElementsAre;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int OpenFdCount() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

// Records what observers see, and lets a test act when a step starts.
class Recorder : public RunObserver {
 public:
  void OnRunStarted(const RunInfo&) override { events.push_back("run:running"); }
  void OnStepChanged(const RunInfo& run, std::size_t step) override {
    const StepState& s = run.steps[step];
    events.push_back(s.step->name + ":" + std::string(ToString(s.status)));
    int running = 0;
    for (const auto& st : run.steps) running += st.status == Status::kRunning;
    max_running = std::max(max_running, running);
    if (s.status == Status::kRunning) {
      max_fds = std::max(max_fds, OpenFdCount());
      if (on_start) on_start(step);
    }
  }
  void OnRunFinished(const RunInfo& run) override {
    events.push_back("run:" + std::string(ToString(run.status)));
  }
  void AddStepEnvironment(const RunInfo&, std::size_t step,
                          std::vector<std::pair<std::string, std::string>>& env) override {
    env.emplace_back("INJECTED", "step-" + std::to_string(step));
  }
  std::vector<std::string> events;
  int max_running = 0;
  int max_fds = 0;
  std::function<void(std::size_t)> on_start;
};

dag::ContinueOn Continue(bool failure, std::vector<int> exit_codes = {},
                         bool mark_success = false) {
  dag::ContinueOn c;
  c.failure = failure;
  c.exit_codes = std::move(exit_codes);
  c.mark_success = mark_success;
  return c;
}

class DagRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("weft-run-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    dag_ = std::make_shared<dag::Dag>();
    dag_->name = "test";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  dag::Step& AddStep(const std::string& name, const std::string& command,
                     std::vector<std::uint32_t> deps = {}) {
    dag::Step s;
    s.name = name;
    s.commands = {command};
    s.depends_on = std::move(deps);
    dag_->steps.push_back(s);
    return dag_->steps.back();
  }

  Status Run() {
    RunInfo info;
    info.dag = dag_;
    info.run_id = "r1";
    info.run_dir = dir_.string();
    eval::Variables vars;
    vars.Set("PATH", "/usr/bin:/bin");
    vars.Set("GREETING", "hi");
    EventLoop loop;
    run_ = std::make_unique<DagRun>(info, vars, RunSettings{dir_.string(), ""}, loop);
    run_->AddObserver(&recorder_);
    if (stop_on_start_) {
      recorder_.on_start = [this](std::size_t) { run_->RequestStop(); };
    }
    return run_->Execute();
  }

  const StepState& State(std::size_t i) { return run_->info().steps[i]; }

  std::filesystem::path dir_;
  std::shared_ptr<dag::Dag> dag_;
  std::unique_ptr<DagRun> run_;
  Recorder recorder_;
  bool stop_on_start_ = false;
};

TEST_F(DagRunTest, ChainRunsInOrderAndSucceeds) {
  AddStep("a", "echo a");
  AddStep("b", "echo $GREETING", {0});
  AddStep("c", "echo c", {1});
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_THAT(recorder_.events,
              ElementsAre("run:running", "a:running", "a:succeeded", "b:running", "b:succeeded",
                          "c:running", "c:succeeded", "run:succeeded"));
  EXPECT_EQ(ReadFile(State(1).stdout_file), "hi\n");
  EXPECT_EQ(State(2).exit_code, 0);
  EXPECT_GT(State(2).pid, 0);
  EXPECT_GE(State(2).finished_at_ns, State(2).started_at_ns);
  EXPECT_GE(State(1).started_at_ns, State(0).finished_at_ns);
}

TEST_F(DagRunTest, FailureAbortsTransitiveDependentsOnly) {
  AddStep("bad", "echo broken >&2; exit 3");
  AddStep("next", "true", {0});
  AddStep("after", "true", {1});
  AddStep("independent", "true");
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).status, Status::kFailed);
  EXPECT_EQ(State(0).exit_code, 3);
  EXPECT_EQ(State(0).error, "exit code 3");
  EXPECT_EQ(ReadFile(State(0).stderr_file), "broken\n");
  EXPECT_EQ(State(1).status, Status::kAborted);
  EXPECT_EQ(State(1).error, "dependency `bad` did not succeed");
  EXPECT_EQ(State(1).exit_code, -1);
  EXPECT_EQ(State(2).status, Status::kAborted);
  EXPECT_EQ(State(2).error, "dependency `next` did not succeed");
  EXPECT_EQ(State(3).status, Status::kSucceeded);
}

TEST_F(DagRunTest, ContinueOnFailureLetsDependentsRunAndRunIsPartial) {
  AddStep("flaky", "exit 1").continue_on = Continue(true);
  AddStep("next", "true", {0});
  EXPECT_EQ(Run(), Status::kPartiallySucceeded);
  EXPECT_EQ(State(0).status, Status::kFailed);
  EXPECT_EQ(State(1).status, Status::kSucceeded);
}

TEST_F(DagRunTest, ContinueOnExitCodeOnlyForListedCodes) {
  AddStep("a", "exit 4").continue_on = Continue(false, {4});
  AddStep("b", "true", {0});
  AddStep("c", "exit 5").continue_on = Continue(false, {4});
  AddStep("d", "true", {2});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(1).status, Status::kSucceeded);
  EXPECT_EQ(State(3).status, Status::kAborted);
}

TEST_F(DagRunTest, MarkSuccessTurnsAContinuedFailureIntoSuccess) {
  AddStep("a", "exit 1").continue_on = Continue(true, {}, true);
  AddStep("b", "true", {0});
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(State(0).status, Status::kSucceeded);
  EXPECT_EQ(State(0).exit_code, 1);
}

TEST_F(DagRunTest, OutputIsCapturedTrimmedAndVisibleTransitively) {
  AddStep("produce", "printf '  v1  \\n'").output = "VALUE";
  AddStep("middle", "true", {0});
  AddStep("consume", "echo got=${VALUE}", {1});
  AddStep("unrelated", "echo got=${VALUE:-unset}");
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(2).stdout_file), "got=v1\n");
  EXPECT_EQ(ReadFile(State(3).stdout_file), "got=unset\n");
  EXPECT_THAT(run_->info().outputs,
              ElementsAre(std::pair<std::string, std::string>("VALUE", "v1")));
}

TEST_F(DagRunTest, StepEnvOverridesUpstreamOutput) {
  AddStep("produce", "echo from-output").output = "X";
  dag::Step& consume = AddStep("consume", "echo $X", {0});
  consume.env = {{"X", "from-env-${X}", {}}};
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(1).stdout_file), "from-env-from-output\n");
}

TEST_F(DagRunTest, OutputOverMaxOutputSizeFailsTheStep) {
  dag_->max_output_size = 8;
  AddStep("big", "echo 0123456789").output = "BIG";
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_NE(State(0).error.find("exceeds max_output_size (8 bytes)"), std::string::npos);
}

TEST_F(DagRunTest, MaxActiveStepsBoundsConcurrency) {
  dag_->max_active_steps = 2;
  for (int i = 0; i < 6; ++i) AddStep("s" + std::to_string(i), "true");
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(recorder_.max_running, 2);
}

TEST_F(DagRunTest, CommandListStopsAtFirstFailure) {
  dag::Step& s = AddStep("list", "echo one");
  s.commands = {"echo one", "exit 2", "echo three"};
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "one\n");
  EXPECT_EQ(State(0).exit_code, 2);
}

TEST_F(DagRunTest, StdoutAndStderrFieldsGetACopyOfTheLogs) {
  dag::Step& s = AddStep("copy", "echo out; echo err >&2");
  s.stdout_file = "copies/${GREETING}.out";
  s.stderr_file = (dir_ / "abs.err").string();
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile((dir_ / "copies" / "hi.out").string()), "out\n");
  EXPECT_EQ(ReadFile((dir_ / "abs.err").string()), "err\n");
  EXPECT_EQ(ReadFile(State(0).stdout_file), "out\n");
}

TEST_F(DagRunTest, UncopyableLogFailsTheStep) {
  std::ofstream(dir_ / "file") << "x";
  AddStep("copy", "echo out").stdout_file = (dir_ / "file" / "sub" / "out").string();
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_NE(State(0).error.find("cannot copy"), std::string::npos) << State(0).error;
}

TEST_F(DagRunTest, ObserversAddEnvironmentAndBuiltInsAreSet) {
  AddStep("first", "echo $INJECTED $DAG_RUN_STEP_NAME; test -n \"$DAG_RUN_STEP_STDOUT_FILE\"");
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "step-0 first\n");
}

TEST_F(DagRunTest, StepIdReferencesResolve) {
  AddStep("producer", "echo out; exit 0").id = "p";
  AddStep("reader", "cat ${p.stdout}; echo code=${p.exit_code}", {0});
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(1).stdout_file), "out\ncode=0\n");
}

TEST_F(DagRunTest, StepThatCannotStartFailsAndAbortsDependents) {
  AddStep("nothing", "").commands.clear();
  AddStep("next", "true", {0});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_NE(State(0).error.find("nothing to run"), std::string::npos);
  EXPECT_EQ(State(1).status, Status::kAborted);
}

TEST_F(DagRunTest, StopSignalsRunningStepsAndAbortsTheRest) {
  AddStep("long", "sleep 300");
  AddStep("later", "true", {0});
  stop_on_start_ = true;
  EXPECT_EQ(Run(), Status::kAborted);
  EXPECT_EQ(State(0).status, Status::kAborted);
  EXPECT_EQ(State(0).exit_code, 143);
  EXPECT_EQ(State(1).status, Status::kAborted);
}

TEST_F(DagRunTest, WideFanOutKeepsFileDescriptorsBounded) {
  int before = OpenFdCount();
  for (int i = 0; i < 500; ++i) AddStep("s" + std::to_string(i), "true");
  EXPECT_EQ(Run(), Status::kSucceeded);
  // epoll + signalfd + the directory read in the check itself; nothing per step.
  EXPECT_LE(recorder_.max_fds, before + 4);
}

TEST_F(DagRunTest, LongFailingChainAbortsWithoutRecursion) {
  AddStep("head", "exit 1");
  for (std::uint32_t i = 1; i < 20000; ++i) AddStep("s" + std::to_string(i), "true", {i - 1});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(19999).status, Status::kAborted);
}

}  // namespace
}  // namespace weft::engine
