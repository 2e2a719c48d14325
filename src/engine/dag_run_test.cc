#include "engine/dag_run.h"

#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace weft::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Blocks until the child `pid` has exited, without reaping it: the engine still has to.
void WaitUntilExited(pid_t pid) {
  // Debian 12's <sys/pidfd.h> declares pidfd_open without C linkage.
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  ASSERT_GE(fd, 0) << "pidfd_open " << pid;
  pollfd ready{fd, POLLIN, 0};
  while (poll(&ready, 1, -1) < 0 && errno == EINTR) {
  }
  close(fd);
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
    if (on_change) on_change(step);
    if (s.status == Status::kRunning) {
      max_fds = std::max(max_fds, OpenFdCount());
      if (on_start) on_start(step);
    }
  }
  void OnStepEvent(const RunInfo& run, std::size_t step, const StepEvent& event) override {
    events.push_back(run.steps[step].step->name + ":event:" + event.name);
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
  std::function<void(std::size_t)> on_change;
};

// A step's block, copied or created to be filled in: the model holds its blocks shared and
// immutable; a test builds them before the run.
template <typename T>
T& Fill(std::shared_ptr<const T>& block) {
  auto copy = block ? std::make_shared<T>(*block) : std::make_shared<T>();
  block = copy;
  return *copy;
}

std::shared_ptr<const dag::ContinueOn> Continue(bool failure, std::vector<int> exit_codes = {},
                                                bool mark_success = false) {
  dag::ContinueOn c;
  c.failure = failure;
  c.exit_codes = std::move(exit_codes);
  c.mark_success = mark_success;
  return std::make_shared<const dag::ContinueOn>(std::move(c));
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
    for (const auto& [name, value] : run_vars_) vars.Set(name, value);
    EventLoop loop;
    run_ = std::make_unique<DagRun>(info, vars, RunSettings{dir_.string(), "", sub_dag_, guard_},
                                    loop);
    run_->AddObserver(&recorder_);
    run_->KeepPriorSteps(prior_);
    if (stop_on_start_) {
      recorder_.on_start = [this](std::size_t) { run_->RequestStop(); };
    }
    return run_->Execute();
  }

  const StepState& State(std::size_t i) { return run_->info().steps[i]; }

  // For recorder_.on_change: when steps 0 and 1 both run, holds the engine until both have
  // exited, unreaped, so that it finds two exits at its next turn.
  void HoldUntilTheFirstTwoHaveExited(std::size_t step) {
    if (step != 1 || run_->info().steps[1].status != Status::kRunning) return;
    WaitUntilExited(run_->info().steps[0].pid);
    WaitUntilExited(run_->info().steps[1].pid);
  }

  // A command that fails with `code` the first `failures` times it runs, then succeeds.
  std::string FailsTimes(int failures, int code = 1) {
    std::string counter = (dir_ / ("count-" + std::to_string(counter_id_++))).string();
    return "n=$(cat " + counter + " 2>/dev/null || echo 0); echo $((n+1)) > " + counter +
           "; echo attempt $((n+1)); [ $n -ge " + std::to_string(failures) + " ] || exit " +
           std::to_string(code);
  }

  static dag::Step Handler(const std::string& name, const std::string& command) {
    dag::Step s;
    s.name = name;
    s.commands = {command};
    return s;
  }

  // Stands in for `weft start` of a child: prints the child's result line, and fails for
  // items that say so.
  static bool FakeChild(const dag::Step& step, const eval::Variables& vars,
                        std::vector<std::string>* argv, std::string*) {
    const std::string* item = vars.Find("ITEM");
    std::string name = step.call->target + (item ? "/" + *item : "");
    *argv = {"/bin/sh", "-c",
             "echo '{\"name\":\"" + name + "\",\"outputs\":{\"V\":\"" + name + "\"}}'; case '" +
                 name + "' in *fail*) exit 1;; esac"};
    return true;
  }

  // Runs a chain of five `true` steps to success and returns, for each step but the last, what
  // `probe` says of the step after it at the moment observers hear the step has succeeded.
  std::vector<bool> ProbeTheNextStepAsEachEnds(
      const std::function<bool(const StepState& next)>& probe) {
    AddStep("s0", "true");
    for (std::uint32_t i = 1; i < 5; ++i) AddStep("s" + std::to_string(i), "true", {i - 1});
    std::vector<bool> results;
    recorder_.on_change = [&](std::size_t step) {
      const auto& steps = run_->info().steps;
      if (step + 1 < steps.size() && steps[step].status == Status::kSucceeded) {
        results.push_back(probe(steps[step + 1]));
      }
    };
    EXPECT_EQ(Run(), Status::kSucceeded);
    return results;
  }

  dag::Step& AddCall(const std::string& name, const std::string& target) {
    dag::Step& s = AddStep(name, "");
    s.commands.clear();
    Fill(s.call).target = target;
    return s;
  }

  int counter_id_ = 0;
  SubDagCommand sub_dag_ = FakeChild;
  process::GroupGuard* guard_ = nullptr;  // null: the run starts its own
  std::vector<PriorStep> prior_;
  std::vector<std::pair<std::string, std::string>>
      run_vars_;  // set in the run's scope after PATH and GREETING

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

// The caller's guard (started before weft's memory grew) is the one that watches the steps:
// a group is watched while its step runs and forgotten once it has exited.
TEST_F(DagRunTest, AGuardGivenByTheCallerWatchesEachStepWhileItRuns) {
  process::GroupGuard guard;
  std::string error;
  ASSERT_TRUE(guard.Start(&error)) << error;
  guard_ = &guard;
  AddStep("a", "true");
  AddStep("b", "true", {0});
  std::vector<std::string> seen;
  recorder_.on_change = [&](std::size_t step) {
    const StepState& s = run_->info().steps[step];
    seen.push_back(s.step->name + ":" + std::string(ToString(s.status)) + ":" +
                   (guard.Watching(s.pid) ? "watched" : "not watched"));
  };
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(seen, (std::vector<std::string>{"a:running:watched", "a:succeeded:not watched",
                                            "b:running:watched", "b:succeeded:not watched"}));
}

// A freed slot is refilled before the step that freed it completes; what observers see must
// not show it: at one step at a time, each step is reported finished, and finished, before the
// next starts.
TEST_F(DagRunTest, OneAtATimeEachStepIsReportedFinishedBeforeTheNextStarts) {
  dag_->max_active_steps = 1;
  for (int i = 0; i < 4; ++i) AddStep("s" + std::to_string(i), "true");
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_THAT(
      recorder_.events,
      ElementsAre("run:running", "s0:running", "s0:succeeded", "s1:running", "s1:succeeded",
                  "s2:running", "s2:succeeded", "s3:running", "s3:succeeded", "run:succeeded"));
  for (std::size_t i = 0; i + 1 < 4; ++i) {
    EXPECT_LE(State(i).finished_at_ns, State(i + 1).started_at_ns) << "step " << i;
  }
}

// Two steps that exited while the engine was busy: both slots are refilled before either exit
// is completed, and observers still see each finish before the start it made room for.
TEST_F(DagRunTest, SlotsFreedTogetherAreRefilledBeforeEitherExitIsCompleted) {
  dag_->max_active_steps = 2;
  for (int i = 0; i < 4; ++i) AddStep("s" + std::to_string(i), "true");
  std::vector<bool> spawned_at_first_finish;
  recorder_.on_change = [&](std::size_t step) {
    HoldUntilTheFirstTwoHaveExited(step);
    const StepState& s = run_->info().steps[step];
    if (s.status == Status::kSucceeded && spawned_at_first_finish.empty()) {
      for (std::size_t later : {2, 3}) {
        spawned_at_first_finish.push_back(run_->info().steps[later].pid != 0);
      }
    }
  };
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(spawned_at_first_finish, (std::vector<bool>{true, true}));
  EXPECT_EQ(recorder_.max_running, 2);
  const auto at = [this](const std::string& event) {
    return std::find(recorder_.events.begin(), recorder_.events.end(), event) -
           recorder_.events.begin();
  };
  // s0 and s1 were reaped in some order; each later start is reported after a finish.
  const auto first_finish = std::min(at("s0:succeeded"), at("s1:succeeded"));
  const auto second_finish = std::max(at("s0:succeeded"), at("s1:succeeded"));
  EXPECT_LT(first_finish, at("s2:running"));
  EXPECT_LT(second_finish, at("s3:running"));
}

// An exit not yet completed may release a dependent that goes before the ready queue's head;
// a slot freed by another exit meanwhile then waits for it rather than start the head.
TEST_F(DagRunTest, ADependentOfAnExitNotYetCompletedStartsBeforeLaterReadySteps) {
  dag_->max_active_steps = 2;
  AddStep("a", "true");
  AddStep("b", "true");
  AddStep("c", "true", {0});
  AddStep("d", "true");
  recorder_.on_change = [this](std::size_t step) { HoldUntilTheFirstTwoHaveExited(step); };
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_LT(State(2).started_at_ns, State(3).started_at_ns);
  EXPECT_EQ(recorder_.max_running, 2);
}

// A step whose next command starts when its exit is completed keeps its slot meanwhile: a
// slot freed by another exit is refilled, and never more than max_active_steps run.
TEST_F(DagRunTest, AnExitWhoseStepGoesOnKeepsItsSlotUntilCompleted) {
  dag_->max_active_steps = 2;
  AddStep("list", "true").commands = {"true", "true"};
  AddStep("b", "true");
  AddStep("c", "true");
  AddStep("d", "true");
  recorder_.on_change = [this](std::size_t step) { HoldUntilTheFirstTwoHaveExited(step); };
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(recorder_.max_running, 2);
  for (std::size_t i = 0; i < 4; ++i) {  // at each start, at most two steps are between theirs
    int running = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      running += State(j).started_at_ns <= State(i).started_at_ns &&
                 State(i).started_at_ns < State(j).finished_at_ns;
    }
    EXPECT_LE(running, 2) << "at the start of step " << i;
  }
}

// Ready steps start in DAG order, and a dependent released by a step's exit counts as ready
// then: it goes before later independent steps.
TEST_F(DagRunTest, ADependentReleasedByAnExitStartsBeforeLaterReadySteps) {
  dag_->max_active_steps = 1;
  AddStep("a", "true");
  AddStep("b", "true", {0});
  AddStep("c", "true");
  AddStep("d", "true");
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_THAT(recorder_.events,
              ElementsAre("run:running", "a:running", "a:succeeded", "b:running", "b:succeeded",
                          "c:running", "c:succeeded", "d:running", "d:succeeded", "run:succeeded"));
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

// A step exports the run's scope with the names it sets itself replaced and its new ones added,
// each name once. Trace context comes from the observers only, never from a scope.
TEST_F(DagRunTest, StepEnvironmentIsTheRunScopeWithTheStepsOwnNames) {
  run_vars_ = {{"TRACEPARENT", "00-inherited"}, {"LAST", "run"}};
  dag::Step& s =
      AddStep("env", "env | grep -iE '^(GREETING|LAST|NEW|TRACEPARENT|INJECTED)=' | sort");
  s.env = {{"GREETING", "step-${GREETING}", {}}, {"NEW", "1", {}}, {"traceparent", "00-step", {}}};
  AddStep("next", "env | grep -iE '^(GREETING|NEW|TRACEPARENT)=' | sort", {0});
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "GREETING=step-hi\nINJECTED=step-0\nLAST=run\nNEW=1\n");
  // The next step starts again from the run's scope.
  EXPECT_EQ(ReadFile(State(1).stdout_file), "GREETING=hi\n");
}

TEST_F(DagRunTest, StepIdReferencesResolve) {
  AddStep("producer", "echo out; exit 0").id = "p";
  AddStep("reader", "cat ${p.stdout}; echo code=${p.exit_code}", {0});
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(1).stdout_file), "out\ncode=0\n");
}

// ${id.*} are looked up when a text names them; they are no environment variables (a name
// with a dot is none), so no step's environment grows with the number of steps that have ids.
TEST_F(DagRunTest, StepIdReferencesExpandButStayOutOfTheEnvironment) {
  AddStep("producer", "echo out; exit 3").id = "p";
  dag_->steps.back().output = "P_OUT";
  dag_->steps.back().continue_on = Continue(true);
  AddStep("other", "true").id = "o";
  dag::Step& reader =
      AddStep("reader", "cat ${p.stdout}; echo code=${p.exit_code} out=${p.output}; env", {0, 1});
  reader.id = "r";
  reader.env = {{"FROM_ENV", "${o.exit_code}", {}}, {"UNKNOWN", "${p.nope}", {}}};
  dag_->handler_on.exit = Handler("onExit", "echo handler=${p.exit_code},${r.exit_code}");
  EXPECT_EQ(Run(), Status::kPartiallySucceeded);
  const std::string log = ReadFile(State(2).stdout_file);
  EXPECT_THAT(log, StartsWith("out\ncode=3 out=\n"));
  EXPECT_THAT(log, HasSubstr("\nFROM_ENV=0\n"));
  EXPECT_THAT(log, HasSubstr("\nUNKNOWN=${p.nope}\n"));
  EXPECT_THAT(log, HasSubstr("\nDAG_RUN_STEP_NAME=reader\n"));
  for (const char* field : {".stdout=", ".stderr=", ".exit_code=", ".output="}) {
    EXPECT_THAT(log, Not(HasSubstr(field))) << field;
  }
  EXPECT_EQ(ReadFile(State(3).stdout_file), "handler=3,0\n");
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

// While `root` runs, the engine creates the log files of the steps waiting only for it and holds
// them open for the spawn, but for at most 16 steps at a time.
TEST_F(DagRunTest, LogFilesCreatedAheadHoldFewDescriptors) {
  int before = OpenFdCount();
  AddStep("root", "true");
  for (int i = 0; i < 100; ++i) AddStep("s" + std::to_string(i), "true", {0});
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_GT(recorder_.max_fds, before + 4);
  EXPECT_LE(recorder_.max_fds, before + 4 + 2 * 16);
  for (std::size_t step = 1; step <= 100; ++step) {
    EXPECT_TRUE(std::filesystem::exists(State(step).stdout_file)) << step;
  }
}

// At max_active_steps M the log files of the next M ready steps are created ahead: as many
// slots can free before the engine's next turn, and a step without them makes its own files
// while the engine waits for its exec.
TEST_F(DagRunTest, LogFilesAreCreatedAheadForOneReadyStepPerSlot) {
  dag_->max_active_steps = 3;
  AddStep("s0", "true");
  std::vector<std::string> fifos;
  for (int i = 1; i <= 2; ++i) {  // s1 and s2 run until the test lets them end
    fifos.push_back((dir_ / ("fifo" + std::to_string(i))).string());
    ASSERT_EQ(mkfifo(fifos.back().c_str(), 0600), 0);
    AddStep("s" + std::to_string(i), "cat " + fifos.back() + " >/dev/null");
  }
  for (int i = 3; i < 7; ++i) AddStep("s" + std::to_string(i), "true");
  std::vector<bool> exist;
  recorder_.on_change = [&](std::size_t step) {
    if (step != 0 || run_->info().steps[0].status != Status::kSucceeded) return;
    for (std::size_t later = 3; later < 7; ++later) {
      exist.push_back(std::filesystem::exists(run_->info().steps[later].stdout_file));
    }
    for (const std::string& fifo : fifos) close(open(fifo.c_str(), O_WRONLY));
  };
  EXPECT_EQ(Run(), Status::kSucceeded);
  // s3 took s0's slot; s4 and s5 have theirs ahead; s6 comes after three more starts.
  EXPECT_EQ(exist, (std::vector<bool>{true, true, true, false}));
}

// In a chain each step's log files are created while the step before it runs: when that one
// is reported finished, before the next starts, they exist. Steps started while completing an
// exit (every one after the first) are the case a lost note would miss.
TEST_F(DagRunTest, LogFilesOfTheNextStepInAChainAreCreatedAhead) {
  EXPECT_EQ(ProbeTheNextStepAsEachEnds([](const StepState& next) {
              return std::filesystem::exists(next.stdout_file) &&
                     std::filesystem::exists(next.stderr_file);
            }),
            (std::vector<bool>{true, true, true, true}));
}

// Observers hear that a step of a chain ended only once the next step's process runs, so that
// their work (the terminal's line, the span, the store) is not on the chain's critical path.
TEST_F(DagRunTest, TheNextStepOfAChainIsSpawnedBeforeObserversHearThePreviousEnded) {
  EXPECT_EQ(ProbeTheNextStepAsEachEnds([](const StepState& next) { return next.pid != 0; }),
            (std::vector<bool>{true, true, true, true}));
}

// A held notice still comes before every later one: a failure before the aborts it causes, a
// retried attempt's event and notice in the order they happened.
TEST_F(DagRunTest, NoticesHeldForTheNextSpawnKeepTheirOrder) {
  Fill(AddStep("flaky", FailsTimes(1)).retry_policy).limit = "1";
  AddStep("bad", "exit 3", {0});
  AddStep("next", "true", {1});
  AddStep("after", "true", {2});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_THAT(recorder_.events,
              ElementsAre("run:running", "flaky:running", "flaky:event:retry", "flaky:running",
                          "flaky:succeeded", "bad:running", "bad:failed", "next:aborted",
                          "after:aborted", "run:failed"));
}

TEST_F(DagRunTest, LongFailingChainAbortsWithoutRecursion) {
  AddStep("head", "exit 1");
  for (std::uint32_t i = 1; i < 20000; ++i) AddStep("s" + std::to_string(i), "true", {i - 1});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(19999).status, Status::kAborted);
}

// A step waiting to be retried or repeated keeps its slot: at max_active_steps 1 the other
// step starts only once the first has ended for good.
TEST_F(DagRunTest, AStepBetweenAttemptsKeepsItsSlot) {
  dag_->max_active_steps = 1;
  Fill(AddStep("flaky", FailsTimes(2)).retry_policy).limit = "2";
  dag::RepeatPolicy& repeat = Fill(AddStep("repeated", "true").repeat_policy);
  repeat.mode = dag::RepeatPolicy::Mode::kAlways;
  repeat.limit = "2";
  AddStep("other", "true");
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(State(0).retry_count, 2);
  EXPECT_EQ(recorder_.max_running, 1);
  EXPECT_LE(State(0).finished_at_ns, State(1).started_at_ns);
  EXPECT_LE(State(1).finished_at_ns, State(2).started_at_ns);
}

TEST_F(DagRunTest, RetryRunsAgainUntilSuccessAndRecordsEachRetry) {
  dag::Step& s = AddStep("flaky", FailsTimes(2));
  Fill(s.retry_policy).limit = "3";
  AddStep("next", "true", {0});
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(State(0).retry_count, 2);
  EXPECT_EQ(State(0).status, Status::kSucceeded);
  ASSERT_EQ(State(0).events.size(), 2u);
  EXPECT_EQ(State(0).events[0].name, "retry");
  EXPECT_EQ(std::get<std::int64_t>(State(0).events[1].attributes[0].second), 2);  // attempt
  // Every attempt's output is kept; weft notes each retry in the stderr log.
  EXPECT_EQ(ReadFile(State(0).stdout_file), "attempt 1\nattempt 2\nattempt 3\n");
  EXPECT_NE(ReadFile(State(0).stderr_file).find("weft: exit code 1; retry 2 of 3 in 0s"),
            std::string::npos);
  EXPECT_EQ(State(1).status, Status::kSucceeded);
}

TEST_F(DagRunTest, RetryStopsAtTheLimit) {
  dag::Step& s = AddStep("broken", FailsTimes(10));
  Fill(s.retry_policy).limit = "2";
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).retry_count, 2);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "attempt 1\nattempt 2\nattempt 3\n");
}

TEST_F(DagRunTest, RetryOnlyForListedExitCodes) {
  dag::Step& s = AddStep("picky", FailsTimes(5, 7));
  Fill(s.retry_policy).limit = "3";
  Fill(s.retry_policy).exit_codes = {2};
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).retry_count, 0);
  EXPECT_EQ(State(0).exit_code, 7);
}

TEST_F(DagRunTest, BadRetryLimitFailsTheStepWithTheReason) {
  dag::Step& s = AddStep("bad", "true");
  Fill(s.retry_policy).limit = "${GREETING}";
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).error, "retry_policy.limit: \"hi\" is not a non-negative number");
}

TEST_F(DagRunTest, OutputOfARetriedStepIsTheLastAttempts) {
  dag::Step& s = AddStep("flaky", FailsTimes(1));
  Fill(s.retry_policy).limit = "1";
  s.output = "OUT";
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_THAT(run_->info().outputs,
              ElementsAre(std::pair<std::string, std::string>("OUT", "attempt 2")));
}

TEST_F(DagRunTest, RepeatAlwaysRunsUpToTheLimit) {
  dag::Step& s = AddStep("tick", "echo tick");
  Fill(s.repeat_policy).mode = dag::RepeatPolicy::Mode::kAlways;
  Fill(s.repeat_policy).limit = "3";
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "tick\ntick\ntick\n");
  EXPECT_EQ(std::count(recorder_.events.begin(), recorder_.events.end(), "tick:event:repeat"), 2);
}

TEST_F(DagRunTest, RepeatUntilExitCodeStopsWhenItMatches) {
  dag::Step& s = AddStep("poll", FailsTimes(3, 1));
  Fill(s.repeat_policy).mode = dag::RepeatPolicy::Mode::kUntil;
  Fill(s.repeat_policy).exit_codes = {0};
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "attempt 1\nattempt 2\nattempt 3\nattempt 4\n");
}

TEST_F(DagRunTest, RepeatWhileConditionHolds) {
  std::string flag = (dir_ / "flag").string();
  std::ofstream(flag) << "go";
  // The third execution removes the flag; the condition then fails and the repeat ends.
  dag::Step& s = AddStep("loop", FailsTimes(2) + " || true; [ $n -lt 2 ] || rm -f " + flag);
  Fill(s.repeat_policy).mode = dag::RepeatPolicy::Mode::kWhile;
  dag::Condition c;
  c.condition = "test -f " + flag;
  c.is_command = true;
  Fill(s.repeat_policy).condition = c;
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "attempt 1\nattempt 2\nattempt 3\n");
}

TEST_F(DagRunTest, ContinueOnOutputMatchesSubstringOrRegex) {
  dag::ContinueOn substring;
  substring.output = {"not found"};
  AddStep("a", "echo 'file not found' >&2; exit 1").continue_on =
      std::make_shared<const dag::ContinueOn>(substring);
  AddStep("b", "true", {0});
  dag::ContinueOn regex;
  regex.output = {"re:^code=[0-9]+$"};
  AddStep("c", "echo code=42; exit 1").continue_on = std::make_shared<const dag::ContinueOn>(regex);
  AddStep("d", "true", {2});
  AddStep("e", "echo other; exit 1").continue_on =
      std::make_shared<const dag::ContinueOn>(substring);
  AddStep("f", "true", {4});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(1).status, Status::kSucceeded);
  EXPECT_EQ(State(3).status, Status::kSucceeded);
  EXPECT_EQ(State(5).status, Status::kAborted);
}

TEST_F(DagRunTest, ContinueOnOutputLooksAtTheLastAttemptOnly) {
  std::string counter = (dir_ / "count").string();
  // The first attempt writes the pattern; the retry fails without it.
  dag::Step& s = AddStep(
      "flaky", "n=$(cat " + counter + " 2>/dev/null || echo 0); echo $((n+1)) > " + counter +
                   "; [ $n -ge 1 ] && { echo other >&2; exit 1; }; " + "echo quota >&2; exit 1");
  Fill(s.retry_policy).limit = "1";
  dag::ContinueOn on_quota;
  on_quota.output = {"quota"};
  s.continue_on = std::make_shared<const dag::ContinueOn>(on_quota);
  AddStep("next", "true", {0});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).retry_count, 1);
  EXPECT_EQ(State(1).status, Status::kAborted);
}

TEST_F(DagRunTest, UnmetStepPreconditionSkipsTheStepAndItsDependents) {
  dag::Condition c;
  c.condition = "${GREETING}";
  c.expected = "bye";
  AddStep("guarded", "echo ran").preconditions = {c};
  AddStep("after", "true", {0});
  AddStep("free", "true");
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(State(0).status, Status::kSkipped);
  EXPECT_EQ(State(0).error, "precondition not met: `${GREETING}` is \"hi\", expected \"bye\"");
  EXPECT_EQ(State(0).events.at(0).name, "precondition.unmet");
  EXPECT_EQ(ReadFile(State(0).stdout_file), "");
  EXPECT_EQ(State(1).status, Status::kSkipped);
  EXPECT_EQ(State(2).status, Status::kSucceeded);
}

// The engine creates a step's log files while the step before it runs, instead of leaving it to
// the child between fork and exec. The first step waits, without sleeping, until they exist.
TEST_F(DagRunTest, LogFilesOfTheNextStepAreCreatedWhileTheStepBeforeRuns) {
  const std::string out = (dir_ / "1-next.out").string();
  const std::string err = (dir_ / "1-next.err").string();
  AddStep("first", "for i in $(seq 100000); do [ -e " + out + " ] && [ -e " + err +
                       " ] && exit 0; done; echo never created; exit 1");
  AddStep("next", "echo out; echo err >&2", {0});
  EXPECT_EQ(Run(), Status::kSucceeded) << ReadFile(State(0).stdout_file);
  EXPECT_EQ(State(1).stdout_file, out);
  EXPECT_EQ(ReadFile(out), "out\n");
  EXPECT_EQ(ReadFile(err), "err\n");
}

TEST_F(DagRunTest, StepsThatNeverRunLeaveNoLogFilesBehind) {
  AddStep("fails", "exit 3");
  AddStep("aborted", "true", {0});  // its log files are made while `fails` runs
  AddStep("also-aborted", "true", {1});
  EXPECT_EQ(Run(), Status::kFailed);
  for (std::size_t step : {1, 2}) {
    EXPECT_EQ(State(step).status, Status::kAborted);
    EXPECT_FALSE(std::filesystem::exists(State(step).stdout_file)) << State(step).stdout_file;
    EXPECT_FALSE(std::filesystem::exists(State(step).stderr_file)) << State(step).stderr_file;
  }
}

TEST_F(DagRunTest, AnEmptyLogFileThatExistedBeforeTheRunIsKept) {
  AddStep("fails", "exit 3");
  AddStep("aborted", "true", {0});
  std::ofstream(dir_ / "1-aborted.out").flush();  // as an earlier attempt of the run left it
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_TRUE(std::filesystem::exists(State(1).stdout_file));
  EXPECT_FALSE(std::filesystem::exists(State(1).stderr_file));
}

TEST_F(DagRunTest, MetCommandPreconditionLetsTheStepRun) {
  dag::Condition c;
  c.condition = "test \"$GREETING\" = hi";
  c.is_command = true;
  AddStep("guarded", "echo ran").preconditions = {c};
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "ran\n");
}

TEST_F(DagRunTest, UnmetDagPreconditionAbortsTheRunAndNothingRuns) {
  dag::Condition c;
  c.condition = "false";
  c.is_command = true;
  dag_->preconditions = {c};
  dag_->handler_on.exit = Handler("exit", "echo exit");
  AddStep("a", "echo ran");
  AddStep("b", "true", {0});
  EXPECT_EQ(Run(), Status::kAborted);
  EXPECT_EQ(State(0).status, Status::kAborted);
  EXPECT_EQ(State(1).status, Status::kAborted);
  EXPECT_EQ(run_->info().steps.size(), 2u);  // no handler ran
  EXPECT_NE(run_->info().error.find("precondition not met"), std::string::npos);
}

TEST_F(DagRunTest, SuccessThenExitHandlersRunAfterTheSteps) {
  dag_->handler_on.success = Handler("onSuccess", "echo status=$DAG_RUN_STATUS out=$OUT");
  dag_->handler_on.failure = Handler("onFailure", "echo failure");
  dag_->handler_on.exit = Handler("onExit", "echo exit");
  AddStep("a", "echo value").output = "OUT";
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_THAT(recorder_.events, ElementsAre("run:running", "a:running", "a:succeeded",
                                            "onSuccess:running", "onSuccess:succeeded",
                                            "onExit:running", "onExit:succeeded", "run:succeeded"));
  ASSERT_EQ(run_->info().steps.size(), 3u);
  EXPECT_EQ(State(1).handler, HandlerKind::kSuccess);
  EXPECT_EQ(ReadFile(State(1).stdout_file), "status=succeeded out=value\n");
  EXPECT_EQ(State(2).handler, HandlerKind::kExit);
}

TEST_F(DagRunTest, FailureHandlerRunsForAFailedRunAndAFailingHandlerFailsTheRun) {
  dag_->handler_on.failure = Handler("onFailure", "echo failure");
  AddStep("a", "exit 1");
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(1).handler, HandlerKind::kFailure);

  recorder_.events.clear();
  dag_->steps.clear();
  dag_->handler_on = {};
  dag_->handler_on.success = Handler("onSuccess", "exit 2");
  AddStep("b", "true");
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(1).status, Status::kFailed);
}

TEST_F(DagRunTest, FailingInitHandlerAbortsEveryStepAndRunsFailureHandlers) {
  dag_->handler_on.init = Handler("onInit", "exit 3");
  dag_->handler_on.failure = Handler("onFailure", "echo failure");
  dag_->handler_on.exit = Handler("onExit", "echo exit");
  AddStep("a", "echo ran");
  AddStep("b", "true", {0});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).status, Status::kAborted);
  EXPECT_EQ(State(0).error, "init handler failed");
  EXPECT_EQ(State(1).status, Status::kAborted);
  ASSERT_EQ(run_->info().steps.size(), 5u);
  EXPECT_EQ(State(2).handler, HandlerKind::kInit);
  EXPECT_EQ(State(3).handler, HandlerKind::kFailure);
  EXPECT_EQ(State(4).handler, HandlerKind::kExit);
}

TEST_F(DagRunTest, StopRunsAbortAndExitHandlers) {
  dag_->handler_on.abort = Handler("onAbort", "echo abort");
  dag_->handler_on.exit = Handler("onExit", "echo exit");
  AddStep("long", "sleep 300");
  recorder_.on_start = [this](std::size_t step) {
    if (step == 0) run_->RequestStop();
  };
  EXPECT_EQ(Run(), Status::kAborted);
  EXPECT_EQ(State(0).status, Status::kAborted);
  EXPECT_EQ(State(0).events.at(0).name, "signal");
  ASSERT_EQ(run_->info().steps.size(), 3u);
  EXPECT_EQ(State(1).handler, HandlerKind::kAbort);
  EXPECT_EQ(State(1).status, Status::kSucceeded);
  EXPECT_EQ(State(2).handler, HandlerKind::kExit);
}

TEST_F(DagRunTest, SecondStopKillsAtOnceAndSkipsHandlers) {
  dag_->handler_on.abort = Handler("onAbort", "echo abort");
  dag_->max_clean_up_time_sec = 300;
  std::string fifo = (dir_ / "ready").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // `stubborn` ignores SIGTERM before it lets `signal` finish; the stops come after that.
  AddStep("stubborn", "trap '' TERM; echo > " + fifo + "; sleep 300");
  AddStep("signal", "cat " + fifo);
  recorder_.on_change = [this](std::size_t step) {
    if (step == 1 && State(1).status == Status::kSucceeded) {
      run_->RequestStop();
      run_->RequestStop();
    }
  };
  EXPECT_EQ(Run(), Status::kAborted);
  EXPECT_EQ(State(0).exit_code, 137);
  EXPECT_EQ(run_->info().steps.size(), 2u);  // no handler ran
}

TEST_F(DagRunTest, StepTimeoutKillsTheGroupAndFailsWith124WithoutRetry) {
  dag::Step& s = AddStep("slow", "sleep 300");
  s.timeout_sec = 1;
  Fill(s.retry_policy).limit = "3";
  AddStep("next", "true", {0});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).status, Status::kFailed);
  EXPECT_EQ(State(0).exit_code, 124);
  EXPECT_EQ(State(0).error, "timed out after 1s");
  EXPECT_EQ(State(0).retry_count, 0);
  EXPECT_EQ(State(0).events.at(0).name, "timeout");
  EXPECT_EQ(State(1).status, Status::kAborted);
}

TEST_F(DagRunTest, DagTimeoutStopsStepsFailsTheRunAndRunsHandlers) {
  dag_->timeout_sec = 1;
  dag_->handler_on.failure = Handler("onFailure", "echo failure");
  AddStep("slow", "sleep 300");
  AddStep("later", "true", {0});
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(run_->info().error, "run timed out after 1s");
  EXPECT_EQ(State(0).status, Status::kAborted);
  EXPECT_EQ(State(1).status, Status::kAborted);
  EXPECT_EQ(State(1).error, "dependency `slow` did not succeed");
  ASSERT_EQ(run_->info().steps.size(), 3u);
  EXPECT_EQ(State(2).status, Status::kSucceeded);
}

TEST_F(DagRunTest, CallStepRunsTheChildCommandAndCapturesItsResult) {
  AddCall("sub", "child").output = "SUB";
  AddStep("read", "echo ${SUB.outputs.V}", {0});
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(1).stdout_file), "child\n");
}

TEST_F(DagRunTest, ParallelCallRunsOneChildPerItemAtMostMaxConcurrentAtATime) {
  dag::Step& s = AddCall("fan", "child");
  Fill(s.call).parallel = dag::SubDagCall::Parallel{};
  Fill(s.call).parallel->items_variable = "${LIST}";
  Fill(s.call).parallel->max_concurrent = 2;
  s.env = {{"LIST", "[\"a\", \"b\", \"c\", \"d\", \"e\"]", {}}};
  s.output = "ALL";
  EXPECT_EQ(Run(), Status::kSucceeded);
  std::string all = run_->info().outputs.at(0).second;
  EXPECT_EQ(std::count(all.begin(), all.end(), '{'), 10);  // five results, each with outputs
  EXPECT_EQ(all.front(), '[');
  for (const char* item : {"child/a", "child/e"}) {
    EXPECT_NE(all.find(item), std::string::npos) << all;
  }
}

TEST_F(DagRunTest, ParallelCallFailsWhenAnyChildFailsAfterAllHaveRun) {
  dag::Step& s = AddCall("fan", "child");
  Fill(s.call).parallel = dag::SubDagCall::Parallel{};
  Fill(s.call).parallel->items = {"ok1", "fail", "ok2"};
  Fill(s.call).parallel->max_concurrent = 1;
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).exit_code, 1);
  std::string log = ReadFile(State(0).stdout_file);
  EXPECT_NE(log.find("child/ok2"), std::string::npos) << log;
}

TEST_F(DagRunTest, ParallelCallWithNoItemsSucceeds) {
  dag::Step& s = AddCall("fan", "child");
  Fill(s.call).parallel = dag::SubDagCall::Parallel{};
  Fill(s.call).parallel->items_variable = "${EMPTY}";
  s.env = {{"EMPTY", "[]", {}}};
  s.output = "ALL";
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(run_->info().outputs.at(0).second, "[]");
}

// A fan-out over no items leaves empty logs and their `stdout:` copies, whether its logs were
// created ahead (the second one, waiting only for `first` while it runs) or not (the first).
TEST_F(DagRunTest, ParallelCallWithNoItemsLeavesEmptyLogsAndCopies) {
  AddStep("first", "true");
  for (std::uint32_t i = 1; i <= 2; ++i) {
    dag::Step& s = AddCall("fan" + std::to_string(i), "child");
    Fill(s.call).parallel = dag::SubDagCall::Parallel{};
    Fill(s.call).parallel->items_variable = "${EMPTY}";
    s.env = {{"EMPTY", "[]", {}}};
    s.stdout_file = (dir_ / ("copy" + std::to_string(i))).string();
    if (i == 2) s.depends_on = {0};
  }
  EXPECT_EQ(Run(), Status::kSucceeded);
  for (std::uint32_t i = 1; i <= 2; ++i) {
    EXPECT_EQ(State(i).status, Status::kSucceeded) << State(i).error;
    EXPECT_TRUE(std::filesystem::exists(State(i).stdout_file)) << i;
    EXPECT_TRUE(std::filesystem::exists(State(i).stderr_file)) << i;
    const std::filesystem::path copy = dir_ / ("copy" + std::to_string(i));
    EXPECT_TRUE(std::filesystem::exists(copy)) << i;
    EXPECT_EQ(ReadFile(copy.string()), "") << i;
  }
}

TEST_F(DagRunTest, CallStepWithoutALauncherFailsClearly) {
  sub_dag_ = nullptr;
  AddCall("sub", "child");
  EXPECT_EQ(Run(), Status::kFailed);
  EXPECT_EQ(State(0).error, "sub-DAG calls cannot run here");
}

TEST_F(DagRunTest, KeptStepsSettleAsBeforeWithTheirOutputsAndTheRestRuns) {
  AddStep("done", "echo again").output = "V";
  AddStep("failed", "echo got=$V", {0});
  AddStep("after", "true", {1});
  PriorStep done;
  done.index = 0;
  done.exit_code = 0;
  done.started_at_ns = 1000;
  done.finished_at_ns = 2000;
  done.output = "from-before";
  prior_ = {done};
  EXPECT_EQ(Run(), Status::kSucceeded);
  EXPECT_EQ(ReadFile(State(0).stdout_file), "");  // not run again
  EXPECT_EQ(State(0).finished_at_ns, 2000);
  EXPECT_EQ(ReadFile(State(1).stdout_file), "got=from-before\n");
  EXPECT_EQ(State(2).status, Status::kSucceeded);
}

}  // namespace
}  // namespace weft::engine
