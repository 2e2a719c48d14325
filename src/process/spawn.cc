#include "process/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>

namespace weft::process {
namespace {

// RAII for the two posix_spawn attribute objects.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnAttributes() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
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
  SpawnAttributes sa;
  // weft blocks SIGCHLD/SIGINT/SIGTERM to read them from a signalfd; children must start with
  // no blocked signals and default dispositions.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  posix_spawnattr_setsigmask(sa.attr(), &empty);
  posix_spawnattr_setsigdefault(sa.attr(), &defaults);
  posix_spawnattr_setpgroup(sa.attr(), 0);
  posix_spawnattr_setflags(sa.attr(), POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                          POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);

  constexpr int kLogFlags = O_WRONLY | O_CREAT | O_APPEND;
  posix_spawn_file_actions_addopen(sa.actions(), STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const auto log = [&sa](int target, const std::string& path, int fd) {
    if (fd >= 0) {
      posix_spawn_file_actions_adddup2(sa.actions(), fd, target);
    } else {
      posix_spawn_file_actions_addopen(sa.actions(), target, path.c_str(), kLogFlags, 0600);
    }
  };
  const bool has_stdout = !spec.stdout_path.empty() || spec.stdout_fd >= 0;
  if (has_stdout) log(STDOUT_FILENO, spec.stdout_path, spec.stdout_fd);
  if (spec.stderr_path.empty() || spec.stderr_path == spec.stdout_path) {
    if (has_stdout) posix_spawn_file_actions_adddup2(sa.actions(), STDOUT_FILENO, STDERR_FILENO);
  } else {
    log(STDERR_FILENO, spec.stderr_path, spec.stderr_fd);
  }
  if (!spec.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(sa.actions(), spec.working_dir.c_str());
  }

  std::vector<char*> argv = Pointers(spec.argv);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, program.c_str(), sa.actions(), sa.attr(), argv.data(), env.envp());
  if (rc != 0) {
    *error = "cannot start " + spec.argv[0];
    if (!spec.working_dir.empty() && rc == ENOENT && access(spec.working_dir.c_str(), X_OK) != 0) {
      *error += ": working directory " + spec.working_dir + " is not accessible";
    } else {
      *error += std::string(": ") + std::strerror(rc);
    }
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

std::vector<Exited> ReapExited() {
  std::vector<Exited> out;
  for (;;) {
    int wait_status = 0;
    pid_t pid = waitpid(-1, &wait_status, WNOHANG);
    if (pid <= 0) break;
    out.push_back({pid, DecodeWaitStatus(wait_status)});
  }
  return out;
}

}  // namespace weft::process
