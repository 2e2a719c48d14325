#pragma once

// Runs the real `weft` binary (the build's, named by CMake) as a test would from a shell:
// own WEFT_HOME, captured stdout/stderr, exit code. Each test gets a fresh home directory.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace weft::e2e {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A `weft` started in the background. Wait() collects its output and exit code; a process
// never waited for is killed and reaped by the destructor.
class RunningWeft {
 public:
  RunningWeft(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}
  RunningWeft(RunningWeft&& other) noexcept;
  RunningWeft& operator=(RunningWeft&&) = delete;
  ~RunningWeft();

  pid_t pid() const { return pid_; }
  Result Wait();

 private:
  pid_t pid_;
  int out_fd_;
  int err_fd_;
};

class WeftHome {
 public:
  WeftHome();  // a fresh temporary $WEFT_HOME
  ~WeftHome();
  WeftHome(const WeftHome&) = delete;
  WeftHome& operator=(const WeftHome&) = delete;

  const std::string& path() const { return path_; }

  // Runs `weft args...` with WEFT_HOME set, extra "NAME=value" entries added to the
  // environment, and the current directory `cwd` ("" = the test's).
  Result Run(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
             const std::string& cwd = "") const;
  // The same, without waiting.
  RunningWeft Start(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                    const std::string& cwd = "") const;

  // Writes a file under the home's scratch directory and returns its path.
  std::string WriteFile(const std::string& relative, const std::string& text) const;

 private:
  std::string path_;
};

// `weft status DAG --json [--run-id ID]`, parsed; a failing query fails the test.
nlohmann::json StatusJson(const WeftHome& home, const std::string& dag,
                          const std::string& run_id = "");

// The step of a `weft status --json` object with this name; none fails the test.
nlohmann::json StepNamed(const nlohmann::json& run, const std::string& name);

// A DAG file of tests/dags/ by name.
std::string DagPath(const std::string& name);

std::string ReadFile(const std::string& path);

}  // namespace weft::e2e
