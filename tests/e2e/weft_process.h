#pragma once

// Runs the real `weft` binary (the build's, named by CMake) as a test would from a shell:
// own WEFT_HOME, captured stdout/stderr, exit code. Each test gets a fresh home directory.

#include <string>
#include <vector>

namespace weft::e2e {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
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

  // Writes a file under the home's scratch directory and returns its path.
  std::string WriteFile(const std::string& relative, const std::string& text) const;

 private:
  std::string path_;
};

// A DAG file of tests/dags/ by name.
std::string DagPath(const std::string& name);

std::string ReadFile(const std::string& path);

}  // namespace weft::e2e
