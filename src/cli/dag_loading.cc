#include "cli/dag_loading.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "cli/paths.h"
#include "dag/base_merge.h"
#include "dag/loader.h"
#include "eval/params.h"
#include "eval/variables.h"

extern char** environ;

namespace weft::cli {
namespace {

void PrintDiagnostics(const std::vector<dag::Diagnostic>& diagnostics) {
  for (const auto& d : diagnostics) fmt::print(stderr, "{}\n", d.ToString());
}

std::string DagsDir(const LoadFlags& flags, const std::string& home) {
  return flags.dags_dir.empty() ? home + "/dags" : flags.dags_dir;
}

// The overrides of `--params "..."` and of the words after `--`, in that order. A word after
// `--` is one param as the shell already split it: `A=x y` stays one value.
bool ParseOverrides(const StartFlags& flags, std::vector<eval::Param>* out) {
  std::string error;
  if (!flags.params_text.empty()) {
    auto parsed = eval::ParseParams(flags.params_text, &error);
    if (!parsed) {
      fmt::print(stderr, "weft: --params: {}\n", error);
      return false;
    }
    *out = std::move(*parsed);
  }
  for (const auto& word : flags.params) {
    auto eq = word.find('=');
    if (eq != std::string::npos && eval::IsVariableName(word.substr(0, eq))) {
      out->push_back({word.substr(0, eq), word.substr(eq + 1)});
    } else {
      out->push_back({"", word});
    }
  }
  return true;
}

}  // namespace

std::shared_ptr<const dag::Dag> LoadDag(const LoadFlags& flags, const std::string& arg,
                                        bool root_run) {
  std::string tried;
  std::string file = ResolveDagFile(arg, DagsDir(flags, WeftHome()), &tried);
  if (file.empty()) {
    fmt::print(stderr, "weft: no DAG file `{}` (looked for {})\n", arg, tried);
    return nullptr;
  }
  dag::LoadOptions options;
  options.base_file = flags.base_file.empty() ? dag::DefaultBaseFile() : flags.base_file;
  options.root_run = root_run;
  dag::LoadResult result = dag::LoadFile(file, options);
  PrintDiagnostics(result.warnings);
  PrintDiagnostics(result.errors);
  if (!result.ok()) return nullptr;
  return result.dag;
}

bool PrepareRun(const StartFlags& flags, const std::string& home, PreparedRun* out, bool dry) {
  std::shared_ptr<const dag::Dag> file_dag = LoadDag(flags.load, flags.dag, flags.parent.empty());
  if (!file_dag) return false;
  out->file = file_dag->file;
  out->dag = file_dag;
  out->sub_dags = {out->file, {}, "", DagsDir(flags.load, home)};
  for (const auto& local : file_dag->local_dags) out->sub_dags.local_names.push_back(local->name);
  if (!flags.document.empty()) {
    auto local = std::find_if(file_dag->local_dags.begin(), file_dag->local_dags.end(),
                              [&](const auto& d) { return d->name == flags.document; });
    if (local == file_dag->local_dags.end()) {
      fmt::print(stderr, "weft: {}: no DAG named `{}` in this file\n", out->file, flags.document);
      return false;
    }
    out->dag = *local;
  }
  if (!flags.parent_otel.empty()) {
    std::string error;
    std::optional<dag::OtelConfig> inherited = ReadParentOtel(flags.parent_otel, &error);
    if (!inherited) {
      fmt::print(stderr, "weft: {}\n", error);
      return false;
    }
    auto merged = std::make_shared<dag::Dag>(*out->dag);
    dag::MergeOtel(*inherited, merged->otel);
    out->dag = merged;
  }
  const dag::Dag& dag = *out->dag;
  std::vector<eval::Param> overrides;
  if (!ParseOverrides(flags, &overrides)) return false;

  out->run_id = flags.run_id.empty() ? NewRunId() : flags.run_id;
  out->run_dir =
      dry ? home + "/runs/" + dag.name + "/" + out->run_id : RunDir(home, dag.name, out->run_id);
  std::filesystem::path dag_dir = std::filesystem::path(out->file).parent_path();
  std::filesystem::path working_dir =
      dag.working_dir.empty() ? dag_dir : std::filesystem::path(dag.working_dir);
  if (working_dir.is_relative()) working_dir = dag_dir / working_dir;
  out->working_dir = working_dir.lexically_normal().string();
  out->sub_dags.working_dir = out->working_dir;
  std::vector<dag::Diagnostic> missing = CheckSubDags(dag, out->sub_dags);
  PrintDiagnostics(missing);
  if (!missing.empty()) {
    if (!dry) std::filesystem::remove_all(out->run_dir);
    return false;
  }
  const char* shell = std::getenv("SHELL");
  out->default_shell = shell != nullptr ? shell : "";

  eval::RunScopeInput input;
  input.dag = &dag;
  input.overrides = std::move(overrides);
  input.builtins = {{"DAG_NAME", dag.name},
                    {"DAG_RUN_ID", out->run_id},
                    {"DAG_RUN_LOG_FILE", out->run_dir + "/run.log"}};
  input.process_env = environ;
  input.working_dir = out->working_dir;
  input.dag_dir = dag_dir.string();
  std::string error;
  auto scope = eval::BuildRunScope(input, &error);
  if (!scope) {
    // The reason may quote a value (a failing backtick command, say): mask the secrets known
    // without the scope.
    eval::SecretMasker known;
    known.AddSecretEnvironment(environ, dag.secrets);
    for (const eval::Param& param : input.overrides) {
      if (eval::IsSecretName(param.name, dag.secrets)) known.Add(param.value);
    }
    fmt::print(stderr, "weft: {}: {}\n", dag.file, known.Mask(error));
    if (!dry) std::filesystem::remove_all(out->run_dir);
    return false;
  }
  out->scope = std::move(*scope);
  out->secrets = eval::RunSecrets(dag, out->scope.variables);
  return true;
}

std::string DescribePlan(const PreparedRun& run) {
  const dag::Dag& dag = *run.dag;
  std::string out = fmt::format("DAG {} ({})\n", dag.name, dag.file);
  if (!dag.description.empty()) out += "  " + dag.description + "\n";
  out += fmt::format(
      "type: {}   max_active_steps: {}   working_dir: {}\n",
      dag.type == dag::DagType::kChain ? "chain" : "graph",
      dag.max_active_steps == 0 ? std::string("unlimited") : std::to_string(dag.max_active_steps),
      run.working_dir);
  if (!run.scope.params.empty()) {
    out += "params:\n";
    int position = 0;
    for (const auto& p : run.scope.params) {
      std::string name = p.name.empty() ? "$" + std::to_string(++position) : p.name;
      const bool secret = eval::IsSecretName(p.name, dag.secrets);
      out += fmt::format("  {} = {}\n", name, secret ? std::string(eval::kMasked) : p.value);
    }
  }
  out += "steps:\n";
  for (const auto& step : dag.steps) {
    out += fmt::format("  {}", step.name);
    if (!step.depends_on.empty()) {
      out += "  (after ";
      for (std::size_t i = 0; i < step.depends_on.size(); ++i) {
        out += (i ? ", " : "") + dag.steps[step.depends_on[i]].name;
      }
      out += ")";
    }
    out += "\n";
    if (step.call) out += fmt::format("      run DAG {}\n", step.call->target);
    for (const auto& command : step.commands) {
      if (step.script.empty()) out += "      $ " + command + "\n";
    }
    if (!step.script.empty()) {
      out += "      script:\n";
      std::size_t start = 0;
      while (start < step.script.size()) {
        std::size_t end = step.script.find('\n', start);
        if (end == std::string::npos) end = step.script.size();
        out += "      | " + step.script.substr(start, end - start) + "\n";
        start = end + 1;
      }
    }
    if (!step.output.empty()) out += "      output -> " + step.output + "\n";
  }
  return run.secrets.Mask(out);
}

}  // namespace weft::cli
