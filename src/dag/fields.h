#pragma once

// Values written the same way at DAG and step level: `env`, `params` and `preconditions`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dag/dag.h"
#include "dag/diagnostic.h"
#include "dag/yaml_tree.h"

namespace weft::dag {

// `env` as a list of maps (`- A: 1`), a list of "A=1" strings, or a map; file order is kept.
std::vector<EnvEntry> ParseEnv(const YamlNode& value, std::string_view key, DiagnosticLog& log);

struct ParsedParams {
  std::vector<ParamDef> params;
  std::string text;  // the same params in `weft start -- ...` form, unexpanded
};

// `params` as a string ("A=1 B='x y' positional", shell-like quoting), a list (`- A: 1`,
// `- "A=1"`, `- positional`) or a map. Named params must be valid variable names and unique.
std::optional<ParsedParams> ParseParamsValue(const YamlNode& value, std::string_view key,
                                             DiagnosticLog& log);

// `preconditions` as one condition or a list: a string is a command (met when it exits 0); a
// map has `condition` (+ `expected`, `negate`) or `command`.
std::vector<Condition> ParsePreconditions(const YamlNode& value, std::string_view key,
                                          DiagnosticLog& log);

// Quotes a param value so that weft::eval::ParseParams reads it back unchanged.
std::string QuoteParam(std::string_view value);

}  // namespace weft::dag
