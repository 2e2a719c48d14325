#pragma once

// Variable expansion (§2.4): ${NAME}, $NAME, ${VAR.key.sub[0]} into JSON values, \$ for a
// literal $. Unknown names are left exactly as written, for the shell.

#include <string>
#include <string_view>

#include "eval/variables.h"

namespace weft::eval {

struct ExpandOptions {
  // In shell command text, '$X' inside single quotes is left to the shell. So is `\$`: the
  // shell removes the backslash itself and prints a literal `$`, and a backslash-escaped quote
  // opens no quoted section.
  bool respect_single_quotes = false;
  // With respect_single_quotes, for text a POSIX shell runs (sh, bash, dash...) with every
  // variable in its environment. A value must then stay data to the shell: a param holding
  // `$(rm -rf ~)`, `; reboot` or a stray quote is never run or re-parsed. So $NAME and ${NAME}
  // of a plain name are left for the shell to expand from its environment (word splitting and
  // globbing of unquoted references behave as in any shell script), and every other value
  // (positional params, dotted names, JSON paths) is inserted quoted for where it lands:
  // '...' outside double quotes, backslash-escaped inside them.
  bool shell_reads_environment = false;
};

// Replaces, in one left-to-right pass:
//   $NAME, ${NAME}     NAME = [A-Za-z_][A-Za-z0-9_]*, when NAME is a variable;
//   $1..$9, ${10}      positional params;
//   ${any.name}        a variable or reference (see Variables::Find) under the dotted name,
//                      such as a step's `${id.stdout}`;
//   ${VAR.key[0].sub}  a value inside the JSON held by VAR (or by a dotted VAR such as
//                      `id.output`); strings are inserted raw, other JSON values compact;
//   \$                 a literal `$` (kept as `\$` in shell text, see ExpandOptions).
// Anything else, including an unknown name, a missing JSON path or a value that is not JSON, is
// copied exactly as written. Inserted values are never expanded again, so `A=${A}` cannot loop
// and a value holding `$(...)` or `${X}` stays data. Runs in time linear in input plus output
// size (each JSON value is parsed at most once per call).
std::string Expand(std::string_view text, const Variables& vars, const ExpandOptions& options = {});

}  // namespace weft::eval
