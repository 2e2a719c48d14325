#pragma once

// gmock matchers for Diagnostic, shared by the dag tests.

#include <gmock/gmock.h>

#include <string>

#include "dag/diagnostic.h"

namespace weft::dag {

// A diagnostic at line:column about `key` whose message matches `message`.
template <typename MessageMatcher>
auto DiagnosticAt(int line, int column, const std::string& key, MessageMatcher message) {
  using ::testing::Field;
  return ::testing::AllOf(
      Field("line", &Diagnostic::line, line), Field("column", &Diagnostic::column, column),
      Field("key", &Diagnostic::key, key), Field("message", &Diagnostic::message, message));
}

template <typename HintMatcher>
auto WithHint(HintMatcher hint) {
  return ::testing::Field("hint", &Diagnostic::hint, hint);
}

template <typename MessageMatcher>
auto WithMessage(MessageMatcher message) {
  return ::testing::Field("message", &Diagnostic::message, message);
}

}  // namespace weft::dag
