#pragma once

// Conditions (§3.3): preconditions of steps and DAGs, repeat conditions, and the `output`
// patterns of continue_on all compare a value with an expected text that is either exact or,
// prefixed with "re:", a regular expression.

#include <optional>
#include <string>
#include <string_view>

#include "dag/dag.h"
#include "eval/command_substitution.h"
#include "eval/variables.h"

namespace weft::eval {

// True when `value` equals `expected`, or, for "re:<regex>", when the regex (ECMAScript, ^ and $
// also at line breaks) matches anywhere in `value`. Returns nullopt and sets *error for an invalid
// regex.
std::optional<bool> MatchesExpected(std::string_view value, const std::string& expected,
                                    std::string* error);

// The outcome of one condition: whether it holds (after `negate`) and a short reason for
// the record when it does not.
struct ConditionResult {
  bool met = false;
  std::string reason;
};

// Evaluates `condition` with `vars`. The command form runs the command through sh (met when it
// exits 0); otherwise the condition text is evaluated like an env value (variables, backticks)
// and compared with `expected`. Returns nullopt and sets *error when the condition cannot be
// evaluated (bad regex, backtick command failing): an error, not an unmet condition.
std::optional<ConditionResult> EvaluateCondition(const dag::Condition& condition,
                                                 const Variables& vars,
                                                 const CommandOptions& options, std::string* error);

}  // namespace weft::eval
