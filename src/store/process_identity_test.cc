#include "store/process_identity.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace weft::store {
namespace {

// A forked child that waits until told to go, so a test controls when it ends.
class ChildProcess {
 public:
  // The child sets its command name to `name` (may be empty), reports ready, then waits.
  explicit ChildProcess(const char* name = "") {
    int ready[2];
    int release[2];
    if (pipe(ready) != 0 || pipe(release) != 0) ADD_FAILURE() << "pipe failed";
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      close(release[1]);
      if (*name != '\0') prctl(PR_SET_NAME, name);
      char byte = 1;
      if (write(ready[1], &byte, 1) != 1) _exit(2);
      // Returns at end of file, when the parent closes its end.
      while (read(release[0], &byte, 1) > 0) {
      }
      _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    release_ = release[1];
    char byte = 0;
    if (read(ready[0], &byte, 1) != 1) ADD_FAILURE() << "child did not start";
    close(ready[0]);
  }
  ~ChildProcess() {
    Release();
    Reap();
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Lets the child exit.
  void Release() {
    if (release_ >= 0) close(release_);
    release_ = -1;
  }
  // Waits for the child to exit without reaping it: it stays a zombie.
  void WaitUntilZombie() {
    siginfo_t info{};
    waitid(P_PID, pid_, &info, WEXITED | WNOWAIT);
  }
  void Reap() {
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
};

std::int64_t StartTimeFromProcSelf() {
  std::ifstream file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i < 22; ++i) fields >> field;
  std::int64_t start_time = 0;
  fields >> start_time;
  return start_time;
}

TEST(ProcessIdentityTest, SelfIsThisProcessWithItsStartTime) {
  const ProcessIdentity self = ProcessIdentity::Self();
  EXPECT_EQ(self.pid, getpid());
  EXPECT_EQ(self.start_time, StartTimeFromProcSelf());
  EXPECT_GT(self.start_time, 0);
  EXPECT_TRUE(self.IsAlive());
}

TEST(ProcessIdentityTest, ReapedChildIsGone) {
  ChildProcess child;
  const auto identity = ProcessIdentity::Of(child.pid());
  ASSERT_TRUE(identity.has_value());
  EXPECT_TRUE(identity->IsAlive());
  child.Release();
  child.Reap();
  EXPECT_EQ(ProcessIdentity::Of(identity->pid), std::nullopt);
  EXPECT_FALSE(identity->IsAlive());
}

TEST(ProcessIdentityTest, ZombieCountsAsGone) {
  ChildProcess child;
  const auto identity = ProcessIdentity::Of(child.pid());
  ASSERT_TRUE(identity.has_value());
  child.Release();
  child.WaitUntilZombie();
  EXPECT_EQ(ProcessIdentity::Of(child.pid()), std::nullopt);
  EXPECT_FALSE(identity->IsAlive());
}

TEST(ProcessIdentityTest, SamePidWithOtherStartTimeIsAnotherProcess) {
  ProcessIdentity reused = ProcessIdentity::Self();
  reused.start_time += 1;
  EXPECT_FALSE(reused.IsAlive());
}

TEST(ProcessIdentityTest, CommandNameWithParenthesesAndSpacesIsParsed) {
  ChildProcess child("a) b (c) d");
  const auto identity = ProcessIdentity::Of(child.pid());
  ASSERT_TRUE(identity.has_value());
  // The child started after this process, and the parse must not land on a field of the name.
  EXPECT_GE(identity->start_time, ProcessIdentity::Self().start_time);
  EXPECT_TRUE(identity->IsAlive());
}

TEST(ProcessIdentityTest, NonPositivePidsNameNoProcess) {
  EXPECT_EQ(ProcessIdentity::Of(0), std::nullopt);
  EXPECT_EQ(ProcessIdentity::Of(-1), std::nullopt);
  EXPECT_FALSE(ProcessIdentity{}.IsAlive());
}

}  // namespace
}  // namespace weft::store
