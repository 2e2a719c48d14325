#include "dag/loader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_set>
#include <utility>

#include "dag/base_merge.h"
#include "dag/dag_parser.h"
#include "dag/graph.h"
#include "dag/yaml_tree.h"

namespace weft::dag {
namespace {

namespace fs = std::filesystem;

// No DAG file is this big; refusing early keeps a wrong path (a log, an image) from eating
// memory.
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;

bool IsDagName(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// Reads a whole file, or reports why it cannot.
std::optional<std::string> ReadFile(const std::string& path, std::string_view what,
                                    DiagnosticLog& log) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    log.Error({}, "", "cannot read " + std::string(what) + ": no such file",
              "check the path (relative paths are taken from the current directory)");
    return std::nullopt;
  }
  if (fs::is_directory(status)) {
    log.Error({}, "", std::string(what) + " is a directory, not a file", "name a YAML file");
    return std::nullopt;
  }
  if (const std::uintmax_t size = fs::file_size(path, error); !error && size > kMaxFileBytes) {
    log.Error({}, "",
              std::string(what) + " is " + std::to_string(size >> 20) +
                  " MiB; a DAG file is at most 64 MiB",
              "check that this is the file you meant");
    return std::nullopt;
  }
  std::ifstream input(path, std::ios::binary);
  std::ostringstream contents;  // in blocks: a character at a time cost ~17 instructions a byte
  if (input) contents << input.rdbuf();
  std::string text = std::move(contents).str();
  if (!input && !input.eof()) {
    log.Error({}, "", "cannot read " + std::string(what) + ": " + std::strerror(errno),
              "check the file's permissions");
    return std::nullopt;
  }
  return text;
}

std::optional<DagDraft> LoadBase(const std::string& path, DiagnosticLog& log) {
  const auto text = ReadFile(path, "base file", log);
  if (!text) return std::nullopt;
  const auto file = YamlFile::Parse(*text, log);
  if (!file) return std::nullopt;
  const auto& documents = file->documents();
  if (documents.empty() || documents[0]->is_null()) return DagDraft{};
  for (std::size_t i = 1; i < documents.size(); ++i) {
    if (!documents[i]->is_null()) {
      log.Error(documents[i]->where, "", "base.yaml holds one document, not several",
                "remove the `---` and merge the documents");
      return std::nullopt;
    }
  }
  return ParseDagDocument(*documents[0], DocumentRole::kBase, LogOutput::kSeparate, log);
}

// Resolves dependencies and turns a draft into the immutable model.
std::shared_ptr<Dag> Finish(DagDraft draft, DiagnosticLog& log) {
  auto dag = std::make_shared<Dag>(std::move(draft.dag));
  dag->type = ResolveDependencies(draft.declared_type, dag->steps, draft.depends, log);
  return dag;
}

// A DAG's name names its run directories, so it must be a plain file name.
void CheckName(const DagDraft& draft, bool from_file_name, DiagnosticLog& log) {
  const std::string& name = draft.dag.name;
  if (name.empty()) {
    log.Error(draft.dag.where, "name", "the DAG has no name",
              "set `name:`; a DAG loaded from a file is named after it");
  } else if (!IsDagName(name)) {
    log.Error(draft.dag.where, "name",
              "the DAG name `" + name + "` may only hold letters, digits, `_`, `-` and `.`",
              from_file_name ? "the name comes from the file name; set `name:` to a valid one"
                             : "rename it");
  }
}

// The main DAG of `file` with its local DAGs, base.yaml merged under each.
std::shared_ptr<Dag> BuildDag(const YamlFile& file, const std::string& path,
                              const std::optional<DagDraft>& base, const LoadOptions& options,
                              DiagnosticLog& log) {
  const auto& documents = file.documents();
  if (documents.empty() || documents[0]->is_null()) {
    log.Error({1, 1}, "", "the file holds no DAG",
              "a DAG file is a YAML mapping with at least `steps:`");
    return nullptr;
  }
  const LogOutput inherited =
      base ? base->log_output.value_or(LogOutput::kSeparate) : LogOutput::kSeparate;
  DagDraft main = ParseDagDocument(*documents[0], DocumentRole::kMain, inherited, log);
  if (base) MergeBase(*base, options.root_run, main);
  const bool from_file_name = main.dag.name.empty();
  if (from_file_name) main.dag.name = fs::path(path).stem().string();
  CheckName(main, from_file_name, log);
  main.dag.file = path.empty() ? "" : fs::absolute(path).lexically_normal().string();
  std::shared_ptr<Dag> dag = Finish(std::move(main), log);

  std::unordered_set<std::string> names{dag->name};
  for (std::size_t i = 1; i < documents.size(); ++i) {
    if (documents[i]->is_null()) continue;
    DagDraft local = ParseDagDocument(*documents[i], DocumentRole::kLocal, inherited, log);
    if (base) MergeBase(*base, /*with_handlers=*/false, local);
    if (!local.dag.name.empty()) {
      CheckName(local, false, log);
      if (!names.insert(local.dag.name).second) {
        log.Error(local.dag.where, "name",
                  "two DAGs in this file are named `" + local.dag.name + "`",
                  "each DAG of a file needs its own name");
      }
    }
    dag->local_dags.push_back(Finish(std::move(local), log));
  }
  return dag;
}

}  // namespace

LoadResult LoadFile(const std::string& path, const LoadOptions& options) {
  DiagnosticLog log(path);
  std::optional<std::string> text;
  try {
    text = ReadFile(path, "DAG file", log);
  } catch (const std::exception& error) {
    log.Error({}, "", std::string("cannot read DAG file: ") + error.what());
  }
  if (!text) return {nullptr, log.errors(), log.warnings()};
  return LoadString(*text, path, options);
}

LoadResult LoadString(const std::string& text, const std::string& path,
                      const LoadOptions& options) {
  DiagnosticLog base_log(options.base_file);
  DiagnosticLog log(path);
  std::shared_ptr<Dag> dag;
  // Nothing escapes as an exception, not even running out of memory: it becomes an error.
  try {
    std::optional<DagDraft> base;
    if (!options.base_file.empty()) base = LoadBase(options.base_file, base_log);
    if (const auto file = YamlFile::Parse(text, log)) {
      dag = BuildDag(*file, path, base, options, log);
    }
  } catch (const std::exception& error) {
    log.Error({}, "", std::string("could not load the DAG: ") + error.what());
  }
  base_log.SortByPlace();
  log.SortByPlace();
  base_log.Append(log);
  LoadResult result{nullptr, base_log.errors(), base_log.warnings()};
  if (result.errors.empty()) result.dag = std::move(dag);
  return result;
}

std::string DefaultBaseFile() {
  std::vector<fs::path> candidates;
  auto env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value == nullptr ? "" : value;
  };
  if (const std::string home = env("WEFT_HOME"); !home.empty()) {
    candidates.push_back(fs::path(home) / "base.yaml");
  }
  if (const std::string config = env("XDG_CONFIG_HOME"); !config.empty()) {
    candidates.push_back(fs::path(config) / "weft" / "base.yaml");
  }
  if (const std::string home = env("HOME"); !home.empty()) {
    candidates.push_back(fs::path(home) / ".config" / "weft" / "base.yaml");
  }
  for (const fs::path& candidate : candidates) {
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return candidate.string();
  }
  return "";
}

}  // namespace weft::dag
