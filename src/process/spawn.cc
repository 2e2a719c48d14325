#include "process/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>

namespace weft::process {
namespace {

// A set of signals 1 to 64 as a bit mask. Not a sigset_t: glibc's sigaddset and sigaction refuse
// the signals it reserves for itself (32 and 33), which are still inherited like any other.
using SignalMask = std::uint64_t;

constexpr SignalMask Bit(int signo) { return SignalMask{1} << (signo - 1); }

// The kernel's own sigaction layout with every field zero: handler SIG_DFL, no flags, no mask.
struct KernelSigaction {
  unsigned long fields[4] = {};
};

// Sets or asks a disposition through the system call itself, which glibc's wrapper does not
// allow for its reserved signals. Async-signal-safe: the child calls it between clone and exec.
int RawSigaction(int signo, const KernelSigaction* action, KernelSigaction* old) {
  return static_cast<int>(syscall(SYS_rt_sigaction, signo, action, old, sizeof(SignalMask)));
}

// Signals whose disposition a child must reset to the default before exec: those not at the
// default when first asked (ignored by whoever started weft, which exec would keep; caught by
// a sanitizer runtime, whose handler must not run in the child); SIGPIPE, which libcurl
// ignores while it sends; and glibc's reserved signals, which it may take over at any time.
// Asking costs a system call per signal, so it is asked once: weft itself sets no disposition.
SignalMask SignalsToReset() {
  static const SignalMask signals = [] {
    SignalMask mask = Bit(SIGPIPE);
    for (int signo = 1; signo < NSIG; ++signo) {
      KernelSigaction action;
      if (signo == SIGKILL || signo == SIGSTOP || RawSigaction(signo, nullptr, &action) != 0) {
        continue;
      }
      if (action.fields[0] != 0 || (signo >= 32 && signo < SIGRTMIN)) mask |= Bit(signo);
    }
    return mask;
  }();
  return signals;
}

// What the child does between clone and exec, all prepared by the parent: the child shares the
// parent's memory while the parent's other threads run on, so it makes system calls only (no
// allocation, no lock) and reports a failure here before _exit(127).
struct ChildPlan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* working_dir;  // nullptr: stay
  int stdout_fd;            // >= 0: dup2'd onto stdout; else stdout_path is opened (nullptr: keep)
  const char* stdout_path;
  int stderr_fd;  // likewise; merge_stderr: stderr is a copy of stdout
  const char* stderr_path;
  bool merge_stderr;
  int null_fd;  // >= 0: open on /dev/null, dup2'd onto stdin; else /dev/null is opened
  SignalMask reset;
  int failed_errno = 0;
  const char* failed_at = nullptr;
};

constexpr int kLogFlags = O_WRONLY | O_CREAT | O_APPEND;

// Makes `target` refer to `fd`, or to `path` opened with `flags`. weft's own 0, 1 and 2 are
// always open (main), so a descriptor handed in is never one of the targets still to be set.
// Not instrumented by AddressSanitizer: the child runs on a stack of its own, which the
// sanitizer's bookkeeping of the thread's stack does not know (a false report, or a warning
// written into the step's log, would follow).
[[gnu::no_sanitize_address]] bool Redirect(int target, int fd, const char* path, int flags) {
  if (fd < 0) {
    fd = open(path, flags, 0600);
    if (fd < 0) return false;
    if (fd == target) return true;
    const bool moved = dup2(fd, target) == target;
    close(fd);
    return moved;
  }
  if (fd == target) return fcntl(fd, F_SETFD, 0) == 0;  // clear close-on-exec
  return dup2(fd, target) == target;
}

[[gnu::no_sanitize_address]] int ChildMain(void* arg) {
  auto* plan = static_cast<ChildPlan*>(arg);
  const char* step = "setpgid";
  bool ok = setpgid(0, 0) == 0;
  if (ok && (plan->stdout_fd >= 0 || plan->stdout_path != nullptr)) {
    step = "open stdout log";
    ok = Redirect(STDOUT_FILENO, plan->stdout_fd, plan->stdout_path, kLogFlags);
  }
  if (ok && plan->merge_stderr) {
    step = "open stderr log";
    ok = dup2(STDOUT_FILENO, STDERR_FILENO) == STDERR_FILENO;
  } else if (ok && (plan->stderr_fd >= 0 || plan->stderr_path != nullptr)) {
    step = "open stderr log";
    ok = Redirect(STDERR_FILENO, plan->stderr_fd, plan->stderr_path, kLogFlags);
  }
  if (ok) {
    step = "open /dev/null";
    ok = Redirect(STDIN_FILENO, plan->null_fd, "/dev/null", O_RDONLY);
  }
  if (ok && plan->working_dir != nullptr) {
    step = "chdir";
    ok = chdir(plan->working_dir) == 0;
  }
  if (ok) {
    const KernelSigaction defaults;
    for (int signo = 1; signo < NSIG; ++signo) {
      if ((plan->reset & Bit(signo)) != 0) RawSigaction(signo, &defaults, nullptr);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    step = "exec";
    execve(plan->program, plan->argv, plan->envp);
  }
  plan->failed_errno = errno;
  plan->failed_at = step;
  _exit(127);
}

// /dev/null for every child's stdin, opened once (close-on-exec, so no step keeps a copy): an
// open per spawn was a path walk while the parent waits for the child to exec. -1 when it
// cannot be opened; each child then tries itself and reports why it could not.
int NullInput() {
  static const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd;
}

// The child's stack, one per spawning thread (the engine's; command substitution may spawn from
// another), mapped once: mapping and unmapping one per spawn cost two system calls and a TLB
// shootdown across weft's threads.
class ChildStack {
 public:
  static constexpr std::size_t kSize = 64 * 1024;  // the child uses a few hundred bytes
  ~ChildStack() {
    if (base_ != nullptr) munmap(base_, guard_ + kSize);
  }
  // The top of the stack, nullptr when it cannot be mapped. Below it, a page that faults:
  // an overflow kills the child instead of writing over whatever was mapped next.
  void* top() {
    if (base_ == nullptr) {
      void* base = mmap(nullptr, guard_ + kSize, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (base == MAP_FAILED) return nullptr;
      if (mprotect(base, guard_, PROT_NONE) != 0) {
        munmap(base, guard_ + kSize);
        return nullptr;
      }
      base_ = static_cast<char*>(base);
    }
    return base_ + guard_ + kSize;
  }

 private:
  const std::size_t guard_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  char* base_ = nullptr;
};

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Resolves a bare program name against PATH; posix_spawnp would use weft's own PATH instead of
// the step's.
std::string Search(const std::string& program, const std::string& path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// Every step of a DAG usually runs the same shell, and a search costs one access() per PATH
// directory before the one holding it. A remembered answer is checked with one access() and
// searched again when the file is gone, as a shell's command hash does; a program installed
// later in an earlier PATH directory is not noticed within the run.
std::string Resolve(const std::string& program, const Environment& env) {
  if (program.find('/') != std::string::npos) return program;
  // PATH as the child will see it.
  const std::string path(env.Find("PATH").value_or("/usr/local/bin:/usr/bin:/bin"));
  // The engine spawns from one thread; command substitution may spawn from another.
  thread_local std::unordered_map<std::string, std::string> resolved;
  std::string key = path + '\0' + program;
  auto known = resolved.find(key);
  if (known != resolved.end() && access(known->second.c_str(), X_OK) == 0) return known->second;
  std::string found = Search(program, path);
  if (found.empty()) {
    resolved.erase(key);
  } else {
    resolved[key] = found;
  }
  return found;
}

}  // namespace

pid_t Spawn(const SpawnSpec& spec, std::string* error) {
  if (spec.argv.empty()) {
    *error = "nothing to run";
    return -1;
  }
  static const Environment kEmpty;
  const Environment& env = spec.env != nullptr ? *spec.env : kEmpty;
  std::string program = Resolve(spec.argv[0], env);
  if (program.empty()) {
    *error = "command not found: " + spec.argv[0];
    return -1;
  }
  std::vector<char*> argv = Pointers(spec.argv);
  const bool has_stdout = !spec.stdout_path.empty() || spec.stdout_fd >= 0;
  const bool merge = spec.stderr_path.empty() || spec.stderr_path == spec.stdout_path;
  ChildPlan plan{
      .program = program.c_str(),
      .argv = argv.data(),
      .envp = env.envp(),
      .working_dir = spec.working_dir.empty() ? nullptr : spec.working_dir.c_str(),
      .stdout_fd = spec.stdout_fd,
      .stdout_path = spec.stdout_path.empty() ? nullptr : spec.stdout_path.c_str(),
      .stderr_fd = merge ? -1 : spec.stderr_fd,
      .stderr_path = merge ? nullptr : spec.stderr_path.c_str(),
      .merge_stderr = merge && has_stdout,
      .null_fd = NullInput(),
      .reset = SignalsToReset(),
  };
  thread_local ChildStack stack;
  void* top = stack.top();
  if (top == nullptr) {
    *error = "cannot start " + spec.argv[0] + ": no memory for the child's stack";
    return -1;
  }
  // The child starts with every signal blocked, so that none is handled on the parent's memory
  // before it has reset the dispositions; it unblocks them just before exec. (glibc leaves its
  // two reserved signals unblocked; it sends them only to weft's own threads, never to the
  // child's new pid.) CLONE_VFORK: the parent goes on once the child has exec'd or exited, and
  // so sees the plan's failure fields.
  sigset_t all;
  sigfillset(&all);
  sigset_t old;
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = clone(ChildMain, top, CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
  const int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) {
    *error = "cannot start " + spec.argv[0] + ": " + std::strerror(clone_errno);
    return -1;
  }
  if (plan.failed_at != nullptr) {
    waitpid(pid, nullptr, 0);  // it has exited already: only reap it
    *error = "cannot start " + spec.argv[0];
    if (std::strcmp(plan.failed_at, "chdir") == 0) {
      *error += ": working directory " + spec.working_dir + " is not accessible";
    } else if (std::strcmp(plan.failed_at, "exec") != 0) {
      *error += std::string(": ") + plan.failed_at;
    }
    *error += std::string(": ") + std::strerror(plan.failed_errno);
    return -1;
  }
  return pid;
}

int SignalNumber(std::string_view name) {
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string_view::npos) {
    int number = std::stoi(std::string(name.substr(0, 3)));
    return number > 0 && number < NSIG ? number : 0;
  }
  if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
  for (int number = 1; number < NSIG; ++number) {
    const char* abbrev = sigabbrev_np(number);
    if (abbrev != nullptr && name == abbrev) return number;
  }
  return 0;
}

bool SignalGroup(pid_t pgid, int signal) { return pgid > 0 && kill(-pgid, signal) == 0; }

ExitStatus DecodeWaitStatus(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    return {128 + WTERMSIG(wait_status), WTERMSIG(wait_status)};
  }
  return {WEXITSTATUS(wait_status), 0};
}

std::optional<Exited> ReapOne() {
  int wait_status = 0;
  const pid_t pid = waitpid(-1, &wait_status, WNOHANG);
  if (pid <= 0) return std::nullopt;
  return Exited{pid, DecodeWaitStatus(wait_status)};
}

}  // namespace weft::process
