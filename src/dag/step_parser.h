#pragma once

// Steps and handlers (§2.2 step fields, §3.3 failure handling, §4 sub-DAG calls) from YAML
// into the model. Dependencies stay as written here; graph.h resolves them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dag/dag.h"
#include "dag/diagnostic.h"
#include "dag/graph.h"
#include "dag/yaml_tree.h"

namespace weft::dag {

struct ParsedSteps {
  std::vector<Step> steps;
  std::vector<DependsSource> depends;  // one per step
};

// `steps:` as a list (of mappings or command strings) or as a mapping name -> step. Steps
// without a name are called `step-N` after their position (N from 1), skipping names already
// taken. `log_output` is the DAG's default for steps that do not set it.
ParsedSteps ParseSteps(const YamlNode& value, std::string_view key, LogOutput log_output,
                       DiagnosticLog& log);

// One `handler_on` entry: a step or a command string, named `default_name` (`onSuccess`)
// unless it has a name. Handlers depend on nothing.
Step ParseHandler(const YamlNode& value, std::string_view key, std::string default_name,
                  LogOutput log_output, DiagnosticLog& log);

// `log_output`: separate | merged.
std::optional<LogOutput> ParseLogOutput(const YamlNode& value, std::string_view key,
                                        DiagnosticLog& log);

}  // namespace weft::dag
