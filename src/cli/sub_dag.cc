#include "cli/sub_dag.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/paths.h"
#include "eval/expand.h"

namespace weft::cli {
namespace {

using json = nlohmann::json;

bool HasVariable(const std::string& text) { return text.find('$') != std::string::npos; }

template <typename T>
void Put(json& out, const char* key, const std::optional<T>& value) {
  if (value) out[key] = *value;
}

template <typename T>
void Get(const json& in, const char* key, std::optional<T>& value) {
  if (in.contains(key)) value = in.at(key).get<T>();
}

}  // namespace

std::optional<SubDagLocation> FindSubDag(const std::string& target, const SubDagScope& scope,
                                         std::string* tried) {
  tried->clear();
  if (std::find(scope.local_names.begin(), scope.local_names.end(), target) !=
      scope.local_names.end()) {
    return SubDagLocation{scope.caller_file, target};
  }
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  if (fs::path(target).is_absolute()) {
    dirs.emplace_back();
  } else {
    dirs = {fs::path(scope.caller_file).parent_path(), scope.working_dir, scope.dags_dir};
  }
  for (const fs::path& dir : dirs) {
    for (const char* ext : {"", ".yaml", ".yml"}) {
      fs::path candidate = dir / (target + ext);
      std::error_code ec;
      if (fs::is_regular_file(candidate, ec)) {
        return SubDagLocation{fs::absolute(candidate).lexically_normal().string(), ""};
      }
      if (!tried->empty()) *tried += ", ";
      *tried += candidate.string();
    }
  }
  return std::nullopt;
}

std::vector<dag::Diagnostic> CheckSubDags(const dag::Dag& dag, const SubDagScope& scope) {
  std::vector<const dag::Step*> steps;
  for (const dag::Step& step : dag.steps) steps.push_back(&step);
  for (const auto* handler :
       {&dag.handler_on.init, &dag.handler_on.success, &dag.handler_on.failure,
        &dag.handler_on.abort, &dag.handler_on.exit}) {
    if (*handler) steps.push_back(&**handler);
  }
  std::vector<dag::Diagnostic> errors;
  for (const dag::Step* step : steps) {
    if (!step->call || HasVariable(step->call->target)) continue;
    std::string tried;
    if (FindSubDag(step->call->target, scope, &tried)) continue;
    dag::Diagnostic d;
    d.file = scope.caller_file;
    d.line = step->where.line;
    d.column = step->where.column;
    d.key = "run";
    d.message = "step `" + step->name + "` calls DAG `" + step->call->target +
                "`, which is neither a DAG of this file nor a file (looked for " + tried + ")";
    d.hint = "fix the name or path; a relative path is read from this file's directory";
    errors.push_back(std::move(d));
  }
  return errors;
}

bool ChildCommand(const ChildRunContext& context, const dag::Step& step,
                  const eval::Variables& vars, std::vector<std::string>* argv, std::string* error) {
  std::string target = eval::Expand(step.call->target, vars);
  std::string tried;
  std::optional<SubDagLocation> where = FindSubDag(target, context.scope, &tried);
  if (!where) {
    *error = "sub-DAG `" + target + "` not found (looked for " + tried + ")";
    return false;
  }
  *argv = {context.weft,
           "start",
           "--quiet",
           "--parent",
           context.parent.name + ":" + context.parent.run_id,
           "--root",
           context.root.name + ":" + context.root.run_id,
           "--run-id",
           NewRunId(),
           "--parent-step",
           step.name};
  if (!where->document.empty()) argv->insert(argv->end(), {"--document", where->document});
  if (!context.parent_otel.empty())
    argv->insert(argv->end(), {"--parent-otel", context.parent_otel});
  if (!context.base_file.empty()) argv->insert(argv->end(), {"--base", context.base_file});
  if (!context.dags_dir.empty()) argv->insert(argv->end(), {"--dags", context.dags_dir});
  argv->push_back(where->file);
  // One word per param, each value expanded on its own: a value holding quotes or spaces (a
  // JSON item, say) reaches the child exactly, never re-split.
  if (!step.call->params.empty()) argv->push_back("--");
  for (const dag::ParamDef& param : step.call->params) {
    std::string value = eval::Expand(param.default_value, vars);
    argv->push_back(param.name.empty() ? value : param.name + "=" + value);
  }
  return true;
}

std::string WriteParentOtel(const dag::OtelConfig& otel, const std::string& run_dir,
                            std::string* error) {
  json out = json::object();
  Put(out, "enabled", otel.enabled);
  Put(out, "endpoint", otel.endpoint);
  Put(out, "insecure", otel.insecure);
  Put(out, "timeout", otel.timeout);
  Put(out, "protocol", otel.protocol);
  Put(out, "compression", otel.compression);
  Put(out, "certificate", otel.certificate);
  Put(out, "client_certificate", otel.client_certificate);
  Put(out, "client_key", otel.client_key);
  Put(out, "sampler", otel.sampler);
  Put(out, "propagate_exporter_env", otel.propagate_exporter_env);
  if (!otel.headers.empty()) out["headers"] = otel.headers;
  for (const auto& [key, value] : otel.resource) {
    std::visit([&](const auto& v) { out["resource"][key] = v; }, value);
  }
  if (out.empty()) return "";
  std::string path = run_dir + "/parent-otel.json";
  // Header values are secrets: the file is the parent's and its children's only.
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::string text = out.dump();
  if (fd < 0 || write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    if (fd >= 0) close(fd);
    *error = "cannot write " + path + " for the sub-DAG runs";
    return "";
  }
  close(fd);
  return path;
}

std::optional<dag::OtelConfig> ReadParentOtel(const std::string& path, std::string* error) {
  std::ifstream file(path);
  json in = json::parse(file, nullptr, /*allow_exceptions=*/false);
  if (!in.is_object()) {
    *error = "--parent-otel " + path + ": not the otel settings a parent weft writes";
    return std::nullopt;
  }
  try {
    dag::OtelConfig otel;
    Get(in, "enabled", otel.enabled);
    Get(in, "endpoint", otel.endpoint);
    Get(in, "insecure", otel.insecure);
    Get(in, "timeout", otel.timeout);
    Get(in, "protocol", otel.protocol);
    Get(in, "compression", otel.compression);
    Get(in, "certificate", otel.certificate);
    Get(in, "client_certificate", otel.client_certificate);
    Get(in, "client_key", otel.client_key);
    Get(in, "sampler", otel.sampler);
    Get(in, "propagate_exporter_env", otel.propagate_exporter_env);
    if (in.contains("headers"))
      otel.headers = in["headers"].get<std::map<std::string, std::string>>();
    if (in.contains("resource")) {
      for (const auto& [key, value] : in["resource"].items()) {
        if (value.is_boolean()) {
          otel.resource[key] = value.get<bool>();
        } else if (value.is_number_integer()) {
          otel.resource[key] = value.get<std::int64_t>();
        } else if (value.is_number()) {
          otel.resource[key] = value.get<double>();
        } else {
          otel.resource[key] = value.get<std::string>();
        }
      }
    }
    return otel;
  } catch (const json::exception& e) {
    *error = "--parent-otel " + path + ": " + e.what();
    return std::nullopt;
  }
}

}  // namespace weft::cli
