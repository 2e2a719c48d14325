#include "engine/step_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "eval/expand.h"
#include "eval/params.h"

namespace weft::engine {
namespace {

bool IsShFamily(const std::string& program) {
  std::string base = std::filesystem::path(program).filename();
  return base == "sh" || base == "bash" || base == "dash" || base == "zsh" || base == "ksh" ||
         base == "ash" || base == "mksh";
}

bool WriteScript(const std::string& path, const std::string& text, std::string* error) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
  if (fd < 0) {
    *error = "cannot write script file " + path;
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  close(fd);
  if (done != text.size()) {
    *error = "cannot write script file " + path;
    return false;
  }
  return true;
}

}  // namespace

std::string FileSafeName(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

std::vector<std::string> SplitWords(const std::string& text) {
  std::string error;
  std::vector<std::string> words;
  if (auto params = eval::ParseParams(text, &error)) {
    for (auto& p : *params) words.push_back(p.name.empty() ? p.value : p.name + "=" + p.value);
  }
  return words;
}

void SetLogCopies(const dag::Step& step, const eval::Variables& vars,
                  const std::string& working_dir, StepCommand* out) {
  auto in_working_dir = [&](const std::string& path) {
    if (path.empty()) return std::string();
    std::filesystem::path p(eval::Expand(path, vars));
    return (p.is_relative() ? working_dir / p : p).lexically_normal().string();
  };
  out->stdout_copy = in_working_dir(step.stdout_file);
  out->stderr_copy = in_working_dir(step.stderr_file);
}

bool BuildStepCommand(const dag::Dag& dag, const dag::Step& step, const eval::Variables& vars,
                      const StepCommandContext& context, StepCommand* out, std::string* error) {
  std::string working_dir =
      eval::Expand(step.working_dir.empty() ? context.dag_working_dir : step.working_dir, vars);
  std::filesystem::path dir(working_dir);
  if (dir.is_relative()) dir = std::filesystem::path(context.dag_working_dir) / dir;
  out->working_dir = dir.lexically_normal().string();
  if (context.existing_dirs == nullptr || !context.existing_dirs->contains(out->working_dir)) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      *error = "cannot create working directory " + dir.string() + ": " + ec.message();
      return false;
    }
    if (context.existing_dirs != nullptr) context.existing_dirs->insert(out->working_dir);
  }
  SetLogCopies(step, vars, out->working_dir, out);

  const std::string& chosen = !step.shell.empty() ? step.shell : dag.shell;
  std::vector<std::string> shell = SplitWords(eval::Expand(chosen, vars));
  if (shell.empty()) {
    shell = {context.default_shell.empty() ? "sh" : context.default_shell};
    if (IsShFamily(shell[0])) shell.push_back("-e");
  }

  // Text a POSIX shell reads keeps values as data: the shell takes plain variables from its
  // environment and every other value arrives quoted (eval::ExpandOptions).
  auto read_by = [](const std::string& program) {
    return eval::ExpandOptions{.respect_single_quotes = true,
                               .shell_reads_environment = IsShFamily(program)};
  };
  out->argvs.clear();
  if (!step.script.empty()) {
    std::vector<std::string> argv =
        step.commands.empty() ? shell : SplitWords(eval::Expand(step.commands[0], vars));
    const std::string& interpreter = argv.empty() ? shell[0] : argv[0];
    if (!WriteScript(context.script_path, eval::Expand(step.script, vars, read_by(interpreter)),
                     error)) {
      return false;
    }
    argv.push_back(context.script_path);
    out->argvs.push_back(std::move(argv));
    return true;
  }
  for (const auto& command : step.commands) {
    std::vector<std::string> argv = shell;
    argv.push_back("-c");
    argv.push_back(eval::Expand(command, vars, read_by(shell[0])));
    out->argvs.push_back(std::move(argv));
  }
  if (out->argvs.empty()) {
    *error = "step has nothing to run (no command, script or sub-DAG call)";
    return false;
  }
  return true;
}

}  // namespace weft::engine
