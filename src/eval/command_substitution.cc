#include "eval/command_substitution.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "eval/expand.h"
#include "os/unique_fd.h"

namespace weft::eval {
namespace {

using os::UniqueFd;

constexpr std::size_t kStderrKept = 512;  // enough for the first line of an error message

// Both ends of a pipe, close-on-exec so that only the spawned child's dup2'd copy survives.
struct Pipe {
  UniqueFd read;
  UniqueFd write;
  bool Open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read = UniqueFd(fds[0]);
    write = UniqueFd(fds[1]);
    return true;
  }
};

// posix_spawn's file actions and attributes, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  posix_spawn_file_actions_t* actions() { return &actions_; }
  posix_spawnattr_t* attr() { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// A shell running in its own process group. Until Reap() collects its status, destruction
// kills the whole group and reaps the shell: no way out of RunForOutput leaves it running. The
// group is killed before the leader is reaped, so its id cannot have been reused.
class ShellProcess {
 public:
  explicit ShellProcess(pid_t pid) : pid_(pid) {}
  ShellProcess(const ShellProcess&) = delete;
  ShellProcess& operator=(const ShellProcess&) = delete;
  ~ShellProcess() {
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      Reap();
    }
  }
  pid_t pid() const { return pid_; }
  // Blocks until the shell has exited; returns its wait status.
  int Reap() {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

std::string Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const std::size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return "";
  return std::string(s.substr(first, s.find_last_not_of(kSpace) - first + 1));
}

std::string FirstLine(std::string_view s) {
  std::string trimmed = Trim(s);
  return trimmed.substr(0, trimmed.find('\n'));
}

std::string Quoted(const std::string& command) { return "command `" + command + "`"; }

// Reads what is available on `fd` into `sink`, keeping at most `limit` bytes in it; returns
// false at end of file. Bytes past the limit are read and counted in *overflow, so that a
// chatty child never blocks on a full pipe.
bool Drain(int fd, std::string& sink, std::size_t limit, bool* overflow) {
  char buffer[4096];
  const ssize_t n = read(fd, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  const std::size_t room = limit - std::min(limit, sink.size());
  sink.append(buffer, std::min(room, static_cast<std::size_t>(n)));
  if (static_cast<std::size_t>(n) > room) *overflow = true;
  return true;
}

std::optional<pid_t> Spawn(const std::string& command, const std::vector<std::string>& env,
                           const CommandOptions& options, int out_fd, int err_fd,
                           std::string* error) {
  SpawnSetup setup;
  posix_spawn_file_actions_addopen(setup.actions(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(setup.actions(), out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(setup.actions(), err_fd, STDERR_FILENO);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(setup.actions(), options.working_dir.c_str());
  }
  // Own process group, so a timeout kills the command's children too; no signal weft blocks
  // or ignores is passed on.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setflags(setup.attr(),
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(setup.attr(), 0);
  posix_spawnattr_setsigmask(setup.attr(), &empty);
  posix_spawnattr_setsigdefault(setup.attr(), &defaults);

  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const std::string& entry : env) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/sh", setup.actions(), setup.attr(),
                             const_cast<char* const*>(argv), envp.data());
  if (rc != 0) {
    *error = Quoted(command) + " could not be started: " + std::strerror(rc) +
             (options.working_dir.empty() ? "" : " (working dir " + options.working_dir + ")");
    return std::nullopt;
  }
  return pid;
}

}  // namespace

std::optional<std::string> RunForOutput(const std::string& command,
                                        const std::vector<std::string>& env,
                                        const CommandOptions& options, std::string* error) {
  Pipe out;
  Pipe err;
  if (!out.Open() || !err.Open()) {
    *error = Quoted(command) + " could not be started: pipe: " + std::strerror(errno);
    return std::nullopt;
  }
  std::optional<pid_t> pid = Spawn(command, env, options, out.write.get(), err.write.get(), error);
  if (!pid) return std::nullopt;
  ShellProcess shell(*pid);
  out.write.Reset();
  err.write.Reset();
  // The syscall directly: glibc 2.36's <sys/pidfd.h> lacks C++ linkage.
  UniqueFd exited(static_cast<int>(syscall(SYS_pidfd_open, shell.pid(), 0)));
  if (exited.get() < 0) {
    *error = Quoted(command) + " could not be watched: pidfd_open: " + std::strerror(errno);
    return std::nullopt;
  }

  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_overflow = false;
  bool stderr_overflow = false;  // only the head of stderr is kept; the rest is not an error
  bool shell_exited = false;
  while (out.read.get() >= 0 || err.read.get() >= 0 || !shell_exited) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      *error = Quoted(command) + " timed out after " + std::to_string(options.timeout.count()) +
               " ms and was killed; make it finish sooner or run it as a step";
      return std::nullopt;
    }
    pollfd fds[] = {{out.read.get(), POLLIN, 0},
                    {err.read.get(), POLLIN, 0},
                    {shell_exited ? -1 : exited.get(), POLLIN, 0}};
    const int ready = poll(fds, 3, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
    if (ready < 0 && errno != EINTR) {
      *error = Quoted(command) + ": poll: " + std::strerror(errno);
      return std::nullopt;
    }
    if (ready <= 0) continue;
    if (fds[0].revents != 0 &&
        !Drain(out.read.get(), stdout_text, options.max_output_bytes, &stdout_overflow)) {
      out.read.Reset();
    }
    if (stdout_overflow) {
      *error = Quoted(command) + " wrote more than " + std::to_string(options.max_output_bytes) +
               " bytes to stdout and was killed; a substituted value must be small";
      return std::nullopt;
    }
    if (fds[1].revents != 0 && !Drain(err.read.get(), stderr_text, kStderrKept, &stderr_overflow)) {
      err.read.Reset();
    }
    if (fds[2].revents != 0) shell_exited = true;
  }

  const int status = shell.Reap();
  if (WIFSIGNALED(status)) {
    *error = Quoted(command) + " was killed by signal " + std::to_string(WTERMSIG(status));
    return std::nullopt;
  }
  if (WEXITSTATUS(status) != 0) {
    const std::string reason = FirstLine(stderr_text);
    *error = Quoted(command) + " exited with status " + std::to_string(WEXITSTATUS(status)) +
             (reason.empty() ? "" : ": " + reason);
    return std::nullopt;
  }
  return Trim(stdout_text);
}

std::optional<std::vector<TextPiece>> SplitCommands(std::string_view text, std::string* error) {
  std::vector<TextPiece> pieces(1);
  std::size_t open = 0;  // position of the backtick that opened the current command
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      if (text[i + 1] != '`') pieces.back().text.push_back(c);
      pieces.back().text.push_back(text[++i]);
    } else if (c == '`') {
      const bool opening = !pieces.back().is_command;
      pieces.push_back(TextPiece{"", opening});
      open = i;
    } else {
      pieces.back().text.push_back(c);
    }
  }
  if (pieces.back().is_command) {
    *error = "unclosed backtick at column " + std::to_string(open + 1) + " in \"" +
             std::string(text) + "\": close the command with ` or write \\` for a literal one";
    return std::nullopt;
  }
  return pieces;
}

std::optional<std::string> EvaluateValue(std::string_view text, const Variables& vars,
                                         const CommandOptions& options, std::string* error) {
  if (text.find('`') == std::string_view::npos) return Expand(text, vars);
  std::optional<std::vector<TextPiece>> pieces = SplitCommands(text, error);
  if (!pieces) return std::nullopt;
  const std::vector<std::string> env = ToEnvp(vars);
  std::string result;
  for (const TextPiece& piece : *pieces) {
    if (!piece.is_command) {
      result += Expand(piece.text, vars);
      continue;
    }
    std::optional<std::string> output = RunForOutput(piece.text, env, options, error);
    if (!output) return std::nullopt;
    result += *output;
  }
  return result;
}

}  // namespace weft::eval
