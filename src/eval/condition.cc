#include "eval/condition.h"

#include <regex>

namespace weft::eval {

std::optional<bool> MatchesExpected(std::string_view value, const std::string& expected,
                                    std::string* error) {
  if (expected.rfind("re:", 0) != 0) return value == expected;
  try {
    std::regex re(expected.substr(3), std::regex::ECMAScript | std::regex::multiline);
    return std::regex_search(value.begin(), value.end(), re);
  } catch (const std::regex_error& e) {
    *error = "invalid regular expression `" + expected.substr(3) + "`: " + e.what();
    return std::nullopt;
  }
}

std::optional<ConditionResult> EvaluateCondition(const dag::Condition& condition,
                                                 const Variables& vars,
                                                 const CommandOptions& options,
                                                 std::string* error) {
  ConditionResult result;
  if (condition.is_command) {
    std::string failure;
    result.met = RunForOutput(condition.condition, ToEnvp(vars), options, &failure).has_value();
    if (!result.met) result.reason = failure;
  } else {
    std::optional<std::string> value = EvaluateValue(condition.condition, vars, options, error);
    if (!value) return std::nullopt;
    std::optional<bool> matches = MatchesExpected(*value, condition.expected, error);
    if (!matches) return std::nullopt;
    result.met = *matches;
    if (!result.met) {
      result.reason = "`" + condition.condition + "` is \"" + *value + "\", expected \"" +
                      condition.expected + "\"";
    }
  }
  if (condition.negate) {
    result.met = !result.met;
    result.reason = result.met ? "" : "`" + condition.condition + "` holds (negated)";
  }
  return result;
}

}  // namespace weft::eval
