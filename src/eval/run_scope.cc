#include "eval/run_scope.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "eval/dotenv.h"
#include "eval/expand.h"

namespace weft::eval {
namespace {

namespace fs = std::filesystem;

std::string LineSuffix(const dag::Location& where) {
  return where.line > 0 ? " (line " + std::to_string(where.line) + ")" : "";
}

std::string JoinNames(const std::vector<dag::ParamDef>& defs) {
  std::string names;
  for (const dag::ParamDef& def : defs) {
    if (def.name.empty()) continue;
    if (!names.empty()) names += ", ";
    names += def.name;
  }
  return names;
}

void SetProcessEnv(char** process_env, Variables& vars) {
  if (!process_env) return;
  for (char** entry = process_env; *entry; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (!equals) continue;
    vars.Set(std::string_view(*entry, equals - *entry), std::string(equals + 1));
  }
}

// Final values of the params: declared ones with their overrides or evaluated defaults, then
// overrides the DAG did not declare. Each is set into `vars` as soon as it is known.
std::optional<std::vector<Param>> ResolveParams(const RunScopeInput& input, Variables& vars,
                                                std::string* error) {
  const std::vector<dag::ParamDef>& defs = input.dag->params;
  std::vector<std::optional<std::string>> given(defs.size());
  std::vector<Param> extra;
  std::vector<std::size_t> positional_defs;
  bool declares_named = false;
  for (std::size_t i = 0; i < defs.size(); ++i) {
    if (defs[i].name.empty()) {
      positional_defs.push_back(i);
    } else {
      declares_named = true;
    }
  }

  std::size_t positional_given = 0;
  for (const Param& param : input.overrides) {
    if (param.name.empty()) {
      if (positional_given < positional_defs.size()) {
        given[positional_defs[positional_given]] = param.value;
      } else if (!defs.empty()) {
        *error = "too many positional params: the DAG declares " +
                 std::to_string(positional_defs.size()) + " positional param(s) but \"" +
                 param.value + "\" is positional param " + std::to_string(positional_given + 1) +
                 "; pass it as NAME=value or drop it";
        return std::nullopt;
      } else {
        extra.push_back(param);
      }
      ++positional_given;
      continue;
    }
    auto def = std::find_if(defs.begin(), defs.end(),
                            [&](const dag::ParamDef& d) { return d.name == param.name; });
    if (def != defs.end()) {
      given[def - defs.begin()] = param.value;
    } else if (declares_named) {
      *error = "unknown param \"" + param.name + "\": the DAG declares " + JoinNames(defs) +
               "; use one of those names";
      return std::nullopt;
    } else {
      extra.push_back(param);
    }
  }

  std::vector<Param> resolved;
  resolved.reserve(defs.size() + extra.size());
  std::size_t position = 0;
  auto set = [&](Param param) {
    vars.Set(param.name.empty() ? std::to_string(++position) : param.name, param.value);
    resolved.push_back(std::move(param));
  };
  for (std::size_t i = 0; i < defs.size(); ++i) {
    if (given[i]) {
      set(Param{defs[i].name, std::move(*given[i])});
      continue;
    }
    CommandOptions commands = input.commands;
    commands.working_dir = input.working_dir;
    std::optional<std::string> value = EvaluateValue(defs[i].default_value, vars, commands, error);
    if (!value) {
      *error = "param " +
               (defs[i].name.empty() ? "$" + std::to_string(position + 1) : defs[i].name) +
               LineSuffix(defs[i].where) + ": " + *error;
      return std::nullopt;
    }
    set(Param{defs[i].name, std::move(*value)});
  }
  for (Param& param : extra) set(std::move(param));
  return resolved;
}

std::string ParamsJson(const std::vector<Param>& params) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  std::size_t position = 0;
  for (const Param& param : params) {
    json[param.name.empty() ? std::to_string(++position) : param.name] = param.value;
  }
  // A param is any bytes the caller gave; JSON holds only UTF-8, so a bad byte becomes U+FFFD
  // rather than an exception.
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// Evaluates env entries in order into `vars`; `what` names them in errors ("env", "step env").
bool SetEnv(const std::vector<dag::EnvEntry>& env, const CommandOptions& commands, const char* what,
            Variables& vars, std::string* error) {
  for (const dag::EnvEntry& entry : env) {
    std::optional<std::string> value = EvaluateValue(entry.value, vars, commands, error);
    if (!value) {
      *error = std::string(what) + " " + entry.name + LineSuffix(entry.where) + ": " + *error;
      return false;
    }
    vars.Set(entry.name, std::move(*value));
  }
  return true;
}

// The file a dotenv path names: absolute as is, else under working_dir, else under dag_dir;
// nullopt when none exists.
std::optional<fs::path> FindDotenv(const std::string& path, const fs::path& working_dir,
                                   const fs::path& dag_dir) {
  std::error_code ec;
  const fs::path written(path);
  if (written.is_absolute()) {
    if (fs::exists(written, ec)) return written;
    return std::nullopt;
  }
  for (const fs::path& base : {working_dir, dag_dir}) {
    if (base.empty()) continue;
    fs::path candidate = base / written;
    if (fs::exists(candidate, ec)) return candidate;
  }
  return std::nullopt;
}

bool LoadDotenvFiles(const RunScopeInput& input, Variables& vars, std::string* error) {
  std::error_code ec;
  const fs::path working_dir =
      input.working_dir.empty() ? fs::current_path(ec) : fs::path(input.working_dir);
  const fs::path dag_dir = !input.dag_dir.empty()    ? fs::path(input.dag_dir)
                           : input.dag->file.empty() ? fs::path()
                                                     : fs::path(input.dag->file).parent_path();
  std::vector<std::string> paths{".env"};
  for (const std::string& path : input.dag->dotenv) paths.push_back(Expand(path, vars));
  std::set<fs::path> loaded;
  for (const std::string& path : paths) {
    std::optional<fs::path> file = FindDotenv(path, working_dir, dag_dir);
    if (!file) continue;
    fs::path canonical = fs::weakly_canonical(*file, ec);
    if (!loaded.insert(ec ? *file : canonical).second) continue;
    if (!LoadDotenv(file->string(), vars, error)) return false;
  }
  return true;
}

}  // namespace

std::optional<RunScope> BuildRunScope(const RunScopeInput& input, std::string* error) {
  if (!input.dag) {
    *error = "no DAG to build the run's variables for";
    return std::nullopt;
  }
  RunScope scope;
  Variables& vars = scope.variables;
  SetProcessEnv(input.process_env, vars);
  for (const auto& [name, value] : input.builtins) vars.Set(name, value);

  std::optional<std::vector<Param>> params = ResolveParams(input, vars, error);
  if (!params) return std::nullopt;
  scope.params = std::move(*params);
  scope.params_json = ParamsJson(scope.params);
  vars.Set("DAG_PARAMS_JSON", scope.params_json);

  CommandOptions commands = input.commands;
  commands.working_dir = input.working_dir;
  if (!SetEnv(input.dag->env, commands, "env", vars, error)) return std::nullopt;
  if (!LoadDotenvFiles(input, vars, error)) return std::nullopt;
  return scope;
}

std::optional<Variables> BuildStepVariables(std::shared_ptr<const Variables> run,
                                            std::shared_ptr<const References> references,
                                            const NamedValues& upstream_outputs,
                                            const std::vector<dag::EnvEntry>& step_env,
                                            const CommandOptions& commands, std::string* error) {
  Variables vars(std::move(run), std::move(references));
  for (const auto& [name, value] : upstream_outputs) vars.Set(name, value);
  if (!SetEnv(step_env, commands, "step env", vars, error)) return std::nullopt;
  return vars;
}

dag::OtelConfig ExpandOtelConfig(const dag::OtelConfig& otel, const Variables& vars) {
  dag::OtelConfig expanded = otel;
  for (std::optional<std::string>* field :
       {&expanded.endpoint, &expanded.timeout, &expanded.protocol, &expanded.compression,
        &expanded.certificate, &expanded.client_certificate, &expanded.client_key}) {
    if (*field) **field = Expand(**field, vars);
  }
  for (auto& [name, value] : expanded.headers) value = Expand(value, vars);
  for (auto& [name, value] : expanded.resource) {
    if (auto* text = std::get_if<std::string>(&value)) *text = Expand(*text, vars);
  }
  return expanded;
}

}  // namespace weft::eval
