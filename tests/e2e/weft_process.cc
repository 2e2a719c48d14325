#include "e2e/weft_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace weft::e2e {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) throw std::runtime_error(std::string(name) + " is not set (run via ctest)");
  return value;
}

// Reads both pipes to the end without letting either fill up and block the child.
void Drain(int out_fd, int err_fd, std::string* out, std::string* err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {out, err};
  int open_count = 2;
  char buf[65536];
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
}

}  // namespace

nlohmann::json StatusJson(const WeftHome& home, const std::string& dag, const std::string& run_id) {
  std::vector<std::string> args = {"status", dag, "--json"};
  if (!run_id.empty()) args.insert(args.end(), {"--run-id", run_id});
  Result r = home.Run(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

nlohmann::json StepNamed(const nlohmann::json& run, const std::string& name) {
  if (run.contains("steps")) {
    for (const auto& step : run["steps"]) {
      if (step["name"] == name) return step;
    }
  }
  ADD_FAILURE() << "no step " << name << " in " << run.dump();
  return nlohmann::json::object();
}

std::string DagPath(const std::string& name) {
  return Env("WEFT_SOURCE_DIR") + "/tests/dags/" + name;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

WeftHome::WeftHome() {
  char tmpl[] = "/tmp/weft-e2e-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

WeftHome::~WeftHome() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string WeftHome::WriteFile(const std::string& relative, const std::string& text) const {
  auto file = std::filesystem::path(path_) / "scratch" / relative;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
  return file.string();
}

RunningWeft::RunningWeft(RunningWeft&& other) noexcept
    : pid_(other.pid_), out_fd_(other.out_fd_), err_fd_(other.err_fd_) {
  other.pid_ = -1;
}

RunningWeft::~RunningWeft() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Wait();
}

Result RunningWeft::Wait() {
  Result result;
  Drain(out_fd_, err_fd_, &result.out, &result.err);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result WeftHome::Run(const std::vector<std::string>& args, const std::vector<std::string>& env,
                     const std::string& cwd) const {
  return Start(args, env, cwd).Wait();
}

RunningWeft WeftHome::Start(const std::vector<std::string>& args,
                            const std::vector<std::string>& env, const std::string& cwd) const {
  std::vector<std::string> argv_strings = {WEFT_BIN_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    if (entry.rfind("WEFT_HOME=", 0) == 0 || entry.rfind("TRACEPARENT=", 0) == 0 ||
        entry.rfind("OTEL_", 0) == 0) {
      continue;
    }
    env_strings.push_back(entry);
  }
  env_strings.push_back("WEFT_HOME=" + path_);
  env_strings.insert(env_strings.end(), env.begin(), env.end());

  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error("cannot start weft");
  }
  return RunningWeft(pid, out_pipe[0], err_pipe[0]);
}

}  // namespace weft::e2e
