#pragma once

// One YAML document into the DAG model (§2.2 DAG fields, §5.1 `otel`), before base.yaml is
// merged under it and before dependencies are resolved.

#include <optional>
#include <string_view>
#include <vector>

#include "dag/dag.h"
#include "dag/diagnostic.h"
#include "dag/graph.h"
#include "dag/yaml_tree.h"

namespace weft::dag {

// A DAG document as written: the model plus what the base merge and the `type` rule need to
// know about how it was written.
struct DagDraft {
  Dag dag;
  std::optional<DagType> declared_type;
  std::optional<LogOutput> log_output;  // the DAG-level default for steps, when written
  std::vector<DependsSource> depends;   // one per step
  // Canonical names of the DAG-level keys written with a value, e.g. "timeout_sec".
  std::vector<std::string_view> keys;

  bool Sets(std::string_view key) const;
};

enum class DocumentRole {
  kMain,   // the first document of a DAG file
  kLocal,  // a later document: a local DAG, which must have a name
  kBase,   // base.yaml: its steps are never inherited, so it has none
};

// `inherited_log_output` is the steps' log_output when the document sets none (base.yaml's).
DagDraft ParseDagDocument(const YamlNode& document, DocumentRole role,
                          LogOutput inherited_log_output, DiagnosticLog& log);

}  // namespace weft::dag
