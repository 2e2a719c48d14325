#include "process/group_guard.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <vector>

#include "process/spawn.h"

namespace weft::process {
namespace {

// The test process is made a child subreaper, so every process of a step's group, however
// orphaned, comes back to it and can be waited for: no polling, no sleeps.
class GroupGuardTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
  void TearDown() override { prctl(PR_SET_CHILD_SUBREAPER, 0); }

  // Starts a step whose shell has a child of its own (the guard must kill the whole group, not
  // the leader only), and returns once both are running.
  static pid_t SpawnStep() {
    int ready[2];
    EXPECT_EQ(pipe(ready), 0);
    std::string error;
    std::string out = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(ready[1]);
    Environment env;
    env.Set("PATH", "/usr/bin:/bin");
    pid_t pid = Spawn({{"/bin/sh", "-c", "sleep 300 >/dev/null & echo ready; exec >&-; wait"},
                       &env,
                       "",
                       out,
                       "/dev/null"},
                      &error);
    close(ready[1]);
    EXPECT_GT(pid, 0) << error;
    char line[6] = {};
    EXPECT_EQ(read(ready[0], line, sizeof line), 6);
    close(ready[0]);
    return pid;
  }

  static int WaitFor(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }

  // Forks an owner process that starts a guard and `count` steps, runs act(guard, steps), tells
  // the test the steps' pids (filled into *steps) and waits to be killed. Returns its pid.
  template <typename Act>
  static pid_t StartOwner(int count, std::vector<pid_t>* steps, Act act) {
    int ready[2];
    EXPECT_EQ(pipe(ready), 0);
    const auto bytes = static_cast<std::size_t>(count) * sizeof(pid_t);
    pid_t owner = fork();
    if (owner == 0) {
      close(ready[0]);
      GroupGuard guard;
      std::string error;
      if (!guard.Start(&error)) _exit(1);
      std::vector<pid_t> started;
      for (int i = 0; i < count; ++i) started.push_back(SpawnStep());
      act(guard, started);
      if (write(ready[1], started.data(), bytes) != static_cast<ssize_t>(bytes)) _exit(1);
      pause();
      _exit(0);
    }
    close(ready[1]);
    steps->resize(static_cast<std::size_t>(count));
    EXPECT_EQ(read(ready[0], steps->data(), bytes), static_cast<ssize_t>(bytes));
    close(ready[0]);
    return owner;
  }

  // SIGKILLs the owner, as weft may die, and reaps it.
  static void KillOwner(pid_t owner) {
    kill(owner, SIGKILL);
    const int status = WaitFor(owner);
    EXPECT_TRUE(WIFSIGNALED(status));
  }

  // The value of `field` in /proc/<pid>/status ("" when absent).
  static std::string ProcStatus(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(field + ":", 0) == 0)
        return line.substr(line.find_first_not_of(" \t", field.size() + 1));
    }
    return "";
  }

  // Waits for every process of the group that comes back to this test, and returns the signal
  // that ended its leader (0 = it exited). The leader's own child may be reaped by the leader,
  // when the kernel lets its wait() return before the leader's SIGKILL lands.
  static int ReapGroup(pid_t pgid) {
    int leader_signal = -1;
    for (;;) {
      int status = 0;
      pid_t pid = waitpid(-pgid, &status, 0);
      if (pid < 0 && errno == EINTR) continue;
      if (pid < 0) break;
      if (pid == pgid) leader_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return leader_signal;
  }
};

TEST_F(GroupGuardTest, WatchingSaysWhichGroupsAreWatched) {
  GroupGuard guard;
  std::string error;
  ASSERT_TRUE(guard.Start(&error)) << error;
  guard.Watch(4242);
  guard.Watch(4243);
  guard.Forget(4242);
  EXPECT_FALSE(guard.Watching(4242));
  EXPECT_TRUE(guard.Watching(4243));
  EXPECT_FALSE(guard.Watching(4244));  // the same byte of the map, never watched
  EXPECT_FALSE(guard.Watching(0));
}

TEST_F(GroupGuardTest, KillsWatchedGroupsWhenItsOwnerGoes) {
  pid_t step = SpawnStep();
  pid_t guard_pid = 0;
  {
    GroupGuard guard;
    std::string error;
    ASSERT_TRUE(guard.Start(&error)) << error;
    guard.Watch(step);
    guard_pid = guard.pid();
  }  // closing the socket is what weft's death does too
  WaitFor(guard_pid);
  EXPECT_EQ(ReapGroup(step), SIGKILL);
  EXPECT_NE(kill(-step, 0), 0);  // nothing of the group is left
}

TEST_F(GroupGuardTest, ForgottenGroupsAreLeftAlone) {
  pid_t step = SpawnStep();
  pid_t guard_pid = 0;
  {
    GroupGuard guard;
    std::string error;
    ASSERT_TRUE(guard.Start(&error)) << error;
    guard.Watch(step);
    guard.Forget(step);
    guard_pid = guard.pid();
  }
  WaitFor(guard_pid);  // the guard has acted (or not) by the time it exits
  EXPECT_EQ(kill(-step, 0), 0);
  SignalGroup(step, SIGTERM);
  EXPECT_EQ(ReapGroup(step), SIGTERM);
}

TEST_F(GroupGuardTest, KillingTheOwnerWithSigkillKillsTheSteps) {
  std::vector<pid_t> steps;
  const pid_t owner = StartOwner(
      1, &steps, [](GroupGuard& guard, const auto& started) { guard.Watch(started[0]); });
  KillOwner(owner);
  // The owner's step and its guard are orphans now, reparented to this subreaper.
  EXPECT_EQ(ReapGroup(steps[0]), SIGKILL);
  EXPECT_NE(kill(-steps[0], 0), 0);
}

TEST_F(GroupGuardTest, KillingTheOwnerWithSigkillLeavesForgottenGroupsAlone) {
  std::vector<pid_t> steps;
  KillOwner(StartOwner(2, &steps, [](GroupGuard& guard, const auto& started) {
    guard.Watch(started[0]);
    guard.Watch(started[1]);
    guard.Forget(started[0]);
  }));
  EXPECT_EQ(ReapGroup(steps[1]), SIGKILL);
  EXPECT_EQ(kill(-steps[0], 0), 0);
  SignalGroup(steps[0], SIGTERM);
  EXPECT_EQ(ReapGroup(steps[0]), SIGTERM);
}

// The guard's set is shared memory: steps starting and ending never wake it.
TEST_F(GroupGuardTest, WatchAndForgetNeverWakeTheGuard) {
  GroupGuard guard;
  std::string error;
  ASSERT_TRUE(guard.Start(&error)) << error;
  while (ProcStatus(guard.pid(), "State").rfind("S", 0) != 0) sched_yield();  // asleep in read
  const std::string switches = ProcStatus(guard.pid(), "voluntary_ctxt_switches");
  for (pid_t pgid = 100; pgid < 1100; ++pgid) {
    guard.Watch(pgid);
    guard.Forget(pgid);
  }
  EXPECT_EQ(ProcStatus(guard.pid(), "voluntary_ctxt_switches"), switches);
  EXPECT_EQ(ProcStatus(guard.pid(), "State").substr(0, 1), "S");
}

}  // namespace
}  // namespace weft::process
