#pragma once

// Variable expansion (§2.4): ${NAME}, $NAME, ${VAR.key.sub[0]} into JSON values, \$ for a
// literal $. Unknown names are left exactly as written, for the shell.

#include <string>
#include <string_view>

#include "eval/variables.h"

namespace weft::eval {

struct ExpandOptions {
  // In shell command text, '$X' inside single quotes is left to the shell.
  bool respect_single_quotes = false;
};

std::string Expand(std::string_view text, const Variables& vars, const ExpandOptions& options = {});

}  // namespace weft::eval
