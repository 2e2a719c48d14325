#pragma once

// Dotenv files (§2.6): KEY=VALUE lines loaded into the run's scope after the DAG's env.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/variables.h"

namespace weft::eval {

// One assignment of a dotenv file.
struct DotenvEntry {
  std::string name;
  std::string value;   // quotes removed; still to be expanded when `expand` is set
  bool expand = true;  // false for a single-quoted value, which is taken literally
  int line = 0;        // 1-based line of the name
};

// Parses dotenv text: `KEY=VALUE` lines, an optional `export ` prefix, blank lines and `#`
// comments (also after an unquoted value, when preceded by a space). A value may be
// 'single-quoted' (literal) or "double-quoted" (\n, \r, \t, \" and \\ are escapes; `\$` is kept
// so that expansion leaves a literal `$`); a quoted value may span lines. Returns nullopt and
// sets *error as "file:line: what is wrong; what to do" for a line without `=`, an invalid
// name, an unclosed quote or text after a closing quote. `file` only names the text in errors.
std::optional<std::vector<DotenvEntry>> ParseDotenv(std::string_view text, std::string_view file,
                                                    std::string* error);

// Reads the dotenv file at `path` and sets its entries into `vars` in order, each value
// expanded (§2.4) with the variables known so far, including earlier lines of the file. A
// file that cannot be read or parsed is an error and leaves `vars` unchanged.
bool LoadDotenv(const std::string& path, Variables& vars, std::string* error);

}  // namespace weft::eval
