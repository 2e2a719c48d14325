#pragma once

// Parameters (§2.5): the `params:` string form of a DAG file and of `weft start -- ...`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::eval {

// One parameter as written: `A=1` is named, `foo` is positional (empty name).
struct Param {
  std::string name;
  std::string value;
};

// Splits "A=1 B='x y' \"q\" positional" into params with shell-like quoting (single and double
// quotes, backslash escapes). Returns nullopt and sets *error on an unterminated quote.
std::optional<std::vector<Param>> ParseParams(std::string_view text, std::string* error);

}  // namespace weft::eval
