// When things go wrong (§3.3), end to end: retries, repeats, preconditions, handlers and
// timeouts in real DAG files; `weft stop`, SIGINT and kill -9 of weft against real process
// trees, checked with `ps` and `weft status`. Waits are on FIFOs, exits and the store.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "e2e/weft_process.h"

namespace weft::e2e {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

// The process groups of the live processes `ps` lists right now (zombies are dead: they wait
// for a parent, possibly an init that never reaps, to collect their exit status).
std::vector<std::string> LiveProcessGroups() {
  WeftHome scratch;
  std::string out = scratch.WriteFile("ps.out", "");
  std::string command = "ps -e -o pgid=,stat= > " + out;
  EXPECT_EQ(std::system(command.c_str()), 0);
  std::vector<std::string> groups;
  std::istringstream lines(ReadFile(out));
  for (std::string pgid, stat; lines >> pgid >> stat;) {
    if (stat[0] != 'Z') groups.push_back(pgid);
  }
  return groups;
}

// A DAG whose step `work` reports its process group on a FIFO and then keeps running (with a
// child of its own) until it is stopped; handlers leave marks in `marks`.
class RunningDagTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fifo_ = home_.WriteFile("ready", "");
    std::filesystem::remove(fifo_);
    ASSERT_EQ(mkfifo(fifo_.c_str(), 0600), 0);
    marks_ = home_.WriteFile("marks", "");
    dag_ = home_.WriteFile("longrun.yaml", R"(name: longrun
max_clean_up_time_sec: 60
handler_on:
  abort:
    command: echo abort >> )" + marks_ + R"(
  exit:
    command: echo exit >> )" + marks_ + R"(
steps:
  - name: work
    command: sleep 300 & echo $$ > )" + fifo_ + R"(; wait
  - name: after
    depends: work
    command: echo never
)");
  }

  // Starts the DAG and returns the step's process group once the step runs.
  std::string StartAndWaitForStep() {
    weft_.emplace(home_.Start({"start", "--quiet", dag_}));
    std::ifstream ready(fifo_);  // blocks until the step opens the FIFO
    std::string pgid;
    ready >> pgid;
    EXPECT_FALSE(pgid.empty());
    return pgid;
  }

  WeftHome home_;
  std::string fifo_;
  std::string marks_;
  std::string dag_;
  std::optional<RunningWeft> weft_;
};

TEST_F(RunningDagTest, WeftStopStopsTheTreeRunsHandlersAndRecordsAborted) {
  std::string pgid = StartAndWaitForStep();
  Result stop = home_.Run({"stop", "longrun"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_THAT(stop.out, HasSubstr("longrun run "));
  EXPECT_THAT(stop.out, HasSubstr(": aborted"));
  Result run = weft_->Wait();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(LiveProcessGroups(), ::testing::Not(::testing::Contains(pgid)));
  EXPECT_EQ(ReadFile(marks_), "abort\nexit\n");
  json status = StatusJson(home_, "longrun");
  EXPECT_EQ(status["status"], "aborted");
  EXPECT_EQ(StepNamed(status, "work")["status"], "aborted");
  EXPECT_EQ(StepNamed(status, "after")["status"], "aborted");
  EXPECT_EQ(StepNamed(status, "onAbort")["status"], "succeeded");
  EXPECT_THAT(ReadFile(StepNamed(status, "work")["stderr_file"]),
              HasSubstr("weft: run stopped; sending SIGTERM"));
}

TEST_F(RunningDagTest, SigintStopsTheRun) {
  std::string pgid = StartAndWaitForStep();
  ASSERT_EQ(kill(weft_->pid(), SIGINT), 0);
  Result run = weft_->Wait();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(LiveProcessGroups(), ::testing::Not(::testing::Contains(pgid)));
  EXPECT_EQ(StatusJson(home_, "longrun")["status"], "aborted");
}

TEST_F(RunningDagTest, StopOfARunThatIsNotRunningSaysSo) {
  Result r = home_.Run({"stop", "longrun"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no runs of DAG `longrun`"));
}

TEST_F(RunningDagTest, KillDashNineOfWeftTakesItsStepsAlongAndTheRunIsMarkedFailed) {
  // This test becomes the reaper of orphans, so it can wait for the step's group to end.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  std::string pgid = StartAndWaitForStep();
  ASSERT_EQ(kill(weft_->pid(), SIGKILL), 0);
  EXPECT_EQ(weft_->Wait().exit_code, 128 + SIGKILL);
  // The step's shell (the group's leader) must end by SIGKILL; its sleep is reaped by the shell
  // or by this test, whichever the kernel lets get there first.
  bool leader_killed = false;
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-std::stoi(pgid), &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) break;
    if (pid == std::stoi(pgid)) leader_killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  EXPECT_TRUE(leader_killed);
  EXPECT_THAT(LiveProcessGroups(), ::testing::Not(::testing::Contains(pgid)));
  json status = StatusJson(home_, "longrun");
  EXPECT_EQ(status["status"], "failed");
  EXPECT_THAT(status["error"].get<std::string>(), HasSubstr("weft process"));
  Result history = home_.Run({"history", "longrun"});
  EXPECT_THAT(history.out, HasSubstr("failed"));
}

TEST(FailureHandlingTest, RetriesRepeatsPreconditionsAndHandlersInOneDag) {
  WeftHome home;
  std::string counter = home.WriteFile("count", "0");
  std::string dag = home.WriteFile("rules.yaml", R"(name: rules
type: graph
params:
  - RETRIES: 3
handler_on:
  success:
    command: echo "run ${DAG_RUN_STATUS}"
steps:
  - name: flaky
    command: n=$(cat )" + counter + R"(); echo $((n+1)) > )" +
                                                     counter + R"(; [ $n -ge 2 ]
    retry_policy:
      limit: ${RETRIES}
      interval_sec: 0
  - name: thrice
    command: echo tick
    repeat_policy:
      repeat: true
      limit: 3
  - name: guarded
    preconditions:
      - condition: "${RETRIES}"
        expected: "re:^[0-9]+$"
    command: echo guarded ran
  - name: skipped
    preconditions:
      - condition: "`echo no`"
        expected: "yes"
    command: echo never
  - name: tolerated
    command: echo "quota exceeded" >&2; exit 4
    continue_on:
      output: ["quota"]
)");
  Result r = home.Run({"start", "--quiet", dag});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // partially succeeded
  json status = StatusJson(home, "rules");
  EXPECT_EQ(status["status"], "partially_succeeded");
  json flaky = StepNamed(status, "flaky");
  EXPECT_EQ(flaky["status"], "succeeded");
  EXPECT_EQ(flaky["retry_count"], 2);
  EXPECT_THAT(ReadFile(flaky["stderr_file"]), HasSubstr("weft: exit code 1; retry 2 of 3"));
  EXPECT_EQ(ReadFile(StepNamed(status, "thrice")["stdout_file"]), "tick\ntick\ntick\n");
  EXPECT_EQ(StepNamed(status, "guarded")["status"], "succeeded");
  json skipped = StepNamed(status, "skipped");
  EXPECT_EQ(skipped["status"], "skipped");
  EXPECT_EQ(skipped["error"], "precondition not met: ``echo no`` is \"no\", expected \"yes\"");
  EXPECT_EQ(StepNamed(status, "tolerated")["status"], "failed");
  json handler = StepNamed(status, "onSuccess");
  EXPECT_EQ(ReadFile(handler["stdout_file"]), "run partially_succeeded\n");
}

TEST(FailureHandlingTest, StepTimeoutFailsWith124AndTheRunFails) {
  WeftHome home;
  std::string dag = home.WriteFile("slow.yaml", R"(name: slow
steps:
  - name: slow
    command: sleep 300
    timeout_sec: 1
)");
  Result r = home.Run({"start", "--quiet", dag});
  EXPECT_EQ(r.exit_code, 1);
  json step = StepNamed(StatusJson(home, "slow"), "slow");
  EXPECT_EQ(step["status"], "failed");
  EXPECT_EQ(step["exit_code"], 124);
  EXPECT_EQ(step["error"], "timed out after 1s");
}

TEST(FailureHandlingTest, UnmetDagPreconditionAbortsWithNothingRun) {
  WeftHome home;
  std::string dag = home.WriteFile("gate.yaml", R"(name: gate
preconditions:
  - test -f /nonexistent/weft-gate
steps:
  - name: a
    command: echo ran
)");
  Result r = home.Run({"start", "--quiet", dag});
  EXPECT_EQ(r.exit_code, 1);
  json status = StatusJson(home, "gate");
  EXPECT_EQ(status["status"], "aborted");
  EXPECT_THAT(status["error"].get<std::string>(), HasSubstr("precondition not met"));
  EXPECT_EQ(StepNamed(status, "a")["status"], "aborted");
}

TEST(FailureHandlingTest, RetryRunsTheFailedStepsAgainUnderTheSameRunId) {
  WeftHome home;
  std::string marks = home.WriteFile("marks", "");
  std::string gate = home.WriteFile("gate", "");
  std::string dag = home.WriteFile("again.yaml", R"(name: again
params:
  - WHO: world
steps:
  - name: produce
    command: echo produce >> )" + marks + R"(; echo "hello ${WHO}"
    output: GREETING
  - name: flaky
    command: test -s )" + gate + R"( && echo "${GREETING}"
  - name: last
    command: echo last >> )" + marks + R"(
)");
  Result first = home.Run({"start", "--quiet", dag, "--", "WHO=weft"});
  EXPECT_EQ(first.exit_code, 1);
  json failed = StatusJson(home, "again");
  EXPECT_EQ(failed["status"], "failed");
  std::string run_id = failed["run_id"];

  std::ofstream(gate) << "open";
  Result retry = home.Run({"retry", "--quiet", dag, "--run-id", run_id});
  EXPECT_EQ(retry.exit_code, 0) << retry.out << retry.err;
  json again = StatusJson(home, "again");
  EXPECT_EQ(again["run_id"], run_id);
  EXPECT_EQ(again["status"], "succeeded");
  EXPECT_EQ(again["params"]["WHO"], "weft");
  // `produce` kept its result and output; only the failed step and the one after it ran.
  EXPECT_EQ(ReadFile(marks), "produce\nlast\n");
  EXPECT_EQ(ReadFile(StepNamed(again, "flaky")["stdout_file"]), "hello weft\n");

  Result one = home.Run({"retry", "--quiet", dag, "--run-id", run_id, "--step", "last"});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(ReadFile(marks), "produce\nlast\nlast\n");
  Result unknown = home.Run({"retry", dag, "--run-id", run_id, "--step", "nope"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("has no step `nope`"));
}

TEST(FailureHandlingTest, DagTimeoutSendsSignalOnStopAndStillRunsHandlers) {
  WeftHome home;
  std::string marks = home.WriteFile("marks", "");
  std::string dag = home.WriteFile("deadline.yaml", R"(name: deadline
timeout_sec: 1
handler_on:
  failure:
    command: echo failure >> )" + marks + R"(
steps:
  - name: polite
    signal_on_stop: SIGINT
    command: trap 'echo got-INT >> )" + marks + R"(; exit 9' INT; sleep 300 & wait
)");
  Result r = home.Run({"start", "--quiet", dag});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(ReadFile(marks), "got-INT\nfailure\n");
  json status = StatusJson(home, "deadline");
  EXPECT_EQ(status["status"], "failed");
  EXPECT_EQ(status["error"], "run timed out after 1s");
  EXPECT_EQ(StepNamed(status, "polite")["exit_code"], 9);
}

TEST(FailureHandlingTest, StepIgnoringTheStopSignalIsKilledAfterTheCleanUpTime) {
  WeftHome home;
  std::string fifo = home.WriteFile("ready", "");
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string marks = home.WriteFile("marks", "");
  std::string dag = home.WriteFile("stubborn.yaml", R"(name: stubborn
max_clean_up_time_sec: 1
handler_on:
  cancel:
    command: echo cancel-handler >> )" + marks + R"(
steps:
  - name: deaf
    command: trap '' TERM; echo ready > )" + fifo + R"(; sleep 300
)");
  RunningWeft weft = home.Start({"start", "--quiet", dag});
  std::string ready;
  std::ifstream(fifo) >> ready;  // the trap is set once the step writes
  ASSERT_EQ(ready, "ready");
  ASSERT_EQ(kill(weft.pid(), SIGTERM), 0);
  EXPECT_EQ(weft.Wait().exit_code, 1);
  json step = StepNamed(StatusJson(home, "stubborn"), "deaf");
  EXPECT_EQ(step["status"], "aborted");
  EXPECT_EQ(step["exit_code"], 137);               // SIGKILL, after SIGTERM was ignored
  EXPECT_EQ(ReadFile(marks), "cancel-handler\n");  // `cancel` is the old name of `abort`
}

}  // namespace
}  // namespace weft::e2e
