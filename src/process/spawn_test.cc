#include "process/spawn.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace weft::process {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SpawnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("weft-spawn-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ExitStatus Wait(pid_t pid) {
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    return DecodeWaitStatus(status);
  }

  SpawnSpec Sh(const std::string& script) {
    return {{"sh", "-c", script},
            &env_,
            dir_.string(),
            (dir_ / "out").string(),
            (dir_ / "err").string()};
  }

  std::filesystem::path dir_;
  const Environment env_{std::make_shared<const SharedEnvironment>(
      std::vector<std::string>{"PATH=/usr/bin:/bin", "GREETING=hello"})};
};

TEST_F(SpawnTest, WritesStdoutAndStderrToSeparateFilesWithGivenEnvironment) {
  std::string error;
  pid_t pid = Spawn(Sh("echo $GREETING; echo oops >&2; pwd"), &error);
  ASSERT_GT(pid, 0) << error;
  EXPECT_EQ(Wait(pid).exit_code, 0);
  EXPECT_EQ(ReadFile((dir_ / "out").string()), "hello\n" + dir_.string() + "\n");
  EXPECT_EQ(ReadFile((dir_ / "err").string()), "oops\n");
  EXPECT_EQ(std::filesystem::status(dir_ / "out").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// Every child reads an empty stdin, /dev/null, the later ones too (weft opens it once).
TEST_F(SpawnTest, StdinIsDevNull) {
  for (int child = 0; child < 2; ++child) {
    std::string error;
    pid_t pid = Spawn(Sh("readlink /proc/self/fd/0; wc -c"), &error);
    ASSERT_GT(pid, 0) << error;
    EXPECT_EQ(Wait(pid).exit_code, 0);
  }
  EXPECT_EQ(ReadFile((dir_ / "out").string()), "/dev/null\n0\n/dev/null\n0\n");
  EXPECT_EQ(ReadFile((dir_ / "err").string()), "");
}

TEST_F(SpawnTest, MergedOutputGoesToOneFileInOrder) {
  SpawnSpec spec = Sh("echo one; echo two >&2; echo three");
  spec.stderr_path = spec.stdout_path;
  std::string error;
  pid_t pid = Spawn(spec, &error);
  ASSERT_GT(pid, 0) << error;
  Wait(pid);
  EXPECT_EQ(ReadFile(spec.stdout_path), "one\ntwo\nthree\n");
}

TEST_F(SpawnTest, GivenDescriptorsAreUsedInsteadOfOpeningThePaths) {
  const std::string out = (dir_ / "given.out").string();
  const std::string err = (dir_ / "given.err").string();
  const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ASSERT_GE(out_fd, 0);
  ASSERT_GE(err_fd, 0);
  SpawnSpec spec = Sh("echo to-out; echo to-err >&2");
  spec.stdout_fd = out_fd;
  spec.stderr_fd = err_fd;
  std::string error;
  pid_t pid = Spawn(spec, &error);
  close(out_fd);
  close(err_fd);
  ASSERT_GT(pid, 0) << error;
  EXPECT_EQ(Wait(pid).exit_code, 0);
  EXPECT_EQ(ReadFile(out), "to-out\n");
  EXPECT_EQ(ReadFile(err), "to-err\n");
  EXPECT_FALSE(std::filesystem::exists(spec.stdout_path));
  EXPECT_FALSE(std::filesystem::exists(spec.stderr_path));
}

TEST_F(SpawnTest, ChildLeadsItsOwnProcessGroupAndHasNoBlockedSignals) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &block, &old);
  std::string error;
  pid_t pid = Spawn(Sh("ps -o pgid= -p $$ | tr -d ' '; grep SigBlk /proc/self/status"), &error);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_GT(pid, 0) << error;
  Wait(pid);
  std::string out = ReadFile((dir_ / "out").string());
  EXPECT_EQ(out.substr(0, out.find('\n')), std::to_string(pid));
  EXPECT_NE(out.find("SigBlk:\t0000000000000000"), std::string::npos) << out;
}

// exec keeps an ignored signal ignored: libcurl ignores SIGPIPE while it sends, and whoever
// starts weft may ignore any signal, even those glibc reserves for itself and hides from
// sigaction (CI harnesses do). The kernel's own layout, all zero but the handler, sets them.
TEST_F(SpawnTest, ChildStartsWithNoIgnoredSignalEvenWhenTheParentIgnoresSome) {
  const int reserved[] = {32, 33};
  struct {
    unsigned long handler = reinterpret_cast<unsigned long>(SIG_IGN);
    unsigned long rest[3] = {};
  } ignore;
  decltype(ignore) olds[2];
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(syscall(SYS_rt_sigaction, reserved[i], &ignore, &olds[i], 8), 0);
  }
  struct sigaction ignore_pipe {};
  ignore_pipe.sa_handler = SIG_IGN;
  struct sigaction old_pipe {};
  ASSERT_EQ(sigaction(SIGPIPE, &ignore_pipe, &old_pipe), 0);
  std::string error;
  pid_t pid = Spawn(Sh("grep SigIgn /proc/self/status"), &error);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  for (int i = 0; i < 2; ++i) syscall(SYS_rt_sigaction, reserved[i], &olds[i], nullptr, 8);
  ASSERT_GT(pid, 0) << error;
  Wait(pid);
  EXPECT_EQ(ReadFile((dir_ / "out").string()), "SigIgn:\t0000000000000000\n");
}

TEST_F(SpawnTest, SignalGroupReachesGrandchildren) {
  std::string error;
  pid_t pid = Spawn(Sh("sleep 300 & echo $! > pidfile; wait"), &error);
  ASSERT_GT(pid, 0) << error;
  // The grandchild's pid file is written before `wait`; wait for it without sleeping blindly.
  while (!std::filesystem::exists(dir_ / "pidfile") ||
         ReadFile((dir_ / "pidfile").string()).empty()) {
    sched_yield();
  }
  pid_t grandchild = std::stoi(ReadFile((dir_ / "pidfile").string()));
  int grandchild_fd = static_cast<int>(syscall(SYS_pidfd_open, grandchild, 0));
  ASSERT_GE(grandchild_fd, 0);
  ASSERT_TRUE(SignalGroup(pid, SIGKILL));
  ExitStatus status = Wait(pid);
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_EQ(status.exit_code, 128 + SIGKILL);
  // The grandchild is in the same group: its pidfd becomes readable when it has died. The
  // bound is a liveness guard, not a timing expectation: `sleep 300` would otherwise live on.
  pollfd pfd{grandchild_fd, POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 30'000), 1);
  close(grandchild_fd);
}

TEST_F(SpawnTest, ExitCodesAndSignalsDecodeLikeTheShell) {
  std::string error;
  pid_t pid = Spawn(Sh("exit 3"), &error);
  ASSERT_GT(pid, 0);
  ExitStatus status = Wait(pid);
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_EQ(status.signal, 0);
  pid = Spawn(Sh("kill -TERM $$"), &error);
  ASSERT_GT(pid, 0);
  status = Wait(pid);
  EXPECT_EQ(status.signal, SIGTERM);
  EXPECT_EQ(status.exit_code, 143);
}

TEST_F(SpawnTest, MissingProgramIsAClearError) {
  SpawnSpec spec = Sh("true");
  spec.argv = {"no-such-program-weft"};
  std::string error;
  EXPECT_EQ(Spawn(spec, &error), -1);
  EXPECT_EQ(error, "command not found: no-such-program-weft");
}

TEST_F(SpawnTest, MissingWorkingDirIsAClearError) {
  SpawnSpec spec = Sh("true");
  spec.working_dir = (dir_ / "absent").string();
  std::string error;
  EXPECT_EQ(Spawn(spec, &error), -1);
  EXPECT_NE(error.find("working directory"), std::string::npos) << error;
}

TEST_F(SpawnTest, ProgramIsResolvedAgainstTheChildsPath) {
  std::filesystem::create_directories(dir_ / "bin");
  std::ofstream(dir_ / "bin" / "hello-weft") << "#!/bin/sh\necho from-step-path\n";
  std::filesystem::permissions(dir_ / "bin" / "hello-weft", std::filesystem::perms::owner_all);
  SpawnSpec spec = Sh("");
  spec.argv = {"hello-weft"};
  Environment env;
  env.Set("PATH", (dir_ / "bin").string() + ":/bin");
  spec.env = &env;
  std::string error;
  pid_t pid = Spawn(spec, &error);
  ASSERT_GT(pid, 0) << error;
  Wait(pid);
  EXPECT_EQ(ReadFile(spec.stdout_path), "from-step-path\n");
}

TEST_F(SpawnTest, AProgramRemovedSinceTheLastSpawnIsFoundAgainFurtherDownThePath) {
  for (const char* dir : {"first", "second"}) {
    std::filesystem::create_directories(dir_ / dir);
    std::ofstream(dir_ / dir / "which-weft") << "#!/bin/sh\necho " << dir << "\n";
    std::filesystem::permissions(dir_ / dir / "which-weft", std::filesystem::perms::owner_all);
  }
  SpawnSpec spec = Sh("");
  spec.argv = {"which-weft"};
  Environment env;
  env.Set("PATH", (dir_ / "first").string() + ":" + (dir_ / "second").string() + ":/bin");
  spec.env = &env;
  std::string error;
  pid_t pid = Spawn(spec, &error);
  ASSERT_GT(pid, 0) << error;
  Wait(pid);
  std::filesystem::remove(dir_ / "first" / "which-weft");
  pid = Spawn(spec, &error);
  ASSERT_GT(pid, 0) << error;
  Wait(pid);
  EXPECT_EQ(ReadFile(spec.stdout_path), "first\nsecond\n");
  std::filesystem::remove(dir_ / "second" / "which-weft");
  EXPECT_EQ(Spawn(spec, &error), -1);
  EXPECT_EQ(error, "command not found: which-weft");
}

TEST_F(SpawnTest, ReapOneCollectsEachEndedChildOnce) {
  std::string error;
  pid_t a = Spawn(Sh("exit 1"), &error);
  pid_t b = Spawn(Sh("exit 2"), &error);
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  std::vector<Exited> all;
  while (all.size() < 2) {
    // Block until at least one more ends, then collect without blocking.
    siginfo_t info{};
    ASSERT_EQ(waitid(P_ALL, 0, &info, WEXITED | WNOWAIT), 0);
    while (auto e = ReapOne()) all.push_back(*e);
  }
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(ReapOne().has_value());
  for (const auto& e : all) EXPECT_EQ(e.status.exit_code, e.pid == a ? 1 : 2);
}

TEST(SignalNumberTest, AcceptsNamesWithAndWithoutPrefixAndNumbers) {
  EXPECT_EQ(SignalNumber("SIGTERM"), SIGTERM);
  EXPECT_EQ(SignalNumber("INT"), SIGINT);
  EXPECT_EQ(SignalNumber("9"), 9);
  EXPECT_EQ(SignalNumber("SIGNOPE"), 0);
  EXPECT_EQ(SignalNumber("999"), 0);
  EXPECT_EQ(SignalNumber(""), 0);
}

}  // namespace
}  // namespace weft::process
