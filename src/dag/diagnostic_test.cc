#include "dag/diagnostic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "dag/diagnostic_matchers.h"

namespace weft::dag {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(DiagnosticTest, ToStringHasPlaceSeverityMessageKeyAndHint) {
  const Diagnostic error{Diagnostic::Severity::kError,
                         "dag.yaml",
                         4,
                         5,
                         "dependss",
                         "unknown key `dependss` in a step",
                         "did you mean `depends`?"};
  EXPECT_EQ(error.ToString(),
            "dag.yaml:4:5: error: unknown key `dependss` in a step (key `dependss`); did you "
            "mean `depends`?");
}

TEST(DiagnosticTest, ToStringLeavesOutWhatIsMissing) {
  Diagnostic warning{Diagnostic::Severity::kWarning, "dag.yaml", 0, 0, "", "no line", ""};
  EXPECT_EQ(warning.ToString(), "dag.yaml: warning: no line");
  warning.line = 7;
  EXPECT_EQ(warning.ToString(), "dag.yaml:7: warning: no line");
  warning.key = "smtp";
  warning.column = 2;
  EXPECT_EQ(warning.ToString(), "dag.yaml:7:2: warning: no line (key `smtp`)");
}

TEST(DiagnosticTest, StreamsAsToString) {
  const Diagnostic error{Diagnostic::Severity::kError, "a.yaml", 1, 2, "", "bad", ""};
  std::ostringstream out;
  out << error;
  EXPECT_EQ(out.str(), "a.yaml:1:2: error: bad");
}

TEST(DiagnosticLogTest, KeepsErrorsAndWarningsApartInOrderWithTheFile) {
  DiagnosticLog log("a.yaml");
  log.Warning({1, 1}, "smtp", "ignored");
  log.Error({2, 3}, "type", "first", "hint one");
  log.Error({4, 5}, "", "second");
  EXPECT_THAT(log.errors(),
              ElementsAre(DiagnosticAt(2, 3, "type", "first"), DiagnosticAt(4, 5, "", "second")));
  EXPECT_EQ(log.errors()[0].hint, "hint one");
  EXPECT_EQ(log.errors()[0].file, "a.yaml");
  EXPECT_EQ(log.errors()[0].severity, Diagnostic::Severity::kError);
  EXPECT_THAT(log.warnings(), ElementsAre(DiagnosticAt(1, 1, "smtp", "ignored")));
  EXPECT_EQ(log.warnings()[0].severity, Diagnostic::Severity::kWarning);
}

TEST(DiagnosticLogTest, SortByPlaceOrdersByLineThenColumnKeepingTies) {
  DiagnosticLog log("a.yaml");
  log.Error({9, 1}, "", "cycle");
  log.Error({2, 7}, "", "late column");
  log.Error({2, 3}, "", "early column");
  log.Error({0, 0}, "", "whole file");
  log.Error({2, 3}, "", "same place, found later");
  log.Warning({5, 1}, "", "w5");
  log.Warning({1, 1}, "", "w1");
  log.SortByPlace();
  EXPECT_THAT(log.errors(), ElementsAre(WithMessage("whole file"), WithMessage("early column"),
                                        WithMessage("same place, found later"),
                                        WithMessage("late column"), WithMessage("cycle")));
  EXPECT_THAT(log.warnings(), ElementsAre(WithMessage("w1"), WithMessage("w5")));
}

TEST(DiagnosticLogTest, AppendAddsTheOtherLogAfterItsOwnKeepingFiles) {
  DiagnosticLog base("base.yaml");
  base.Error({1, 1}, "", "base error");
  DiagnosticLog dag("dag.yaml");
  dag.Error({2, 2}, "", "dag error");
  dag.Warning({3, 3}, "", "dag warning");
  base.Append(dag);
  ASSERT_EQ(base.errors().size(), 2u);
  EXPECT_EQ(base.errors()[0].file, "base.yaml");
  EXPECT_EQ(base.errors()[1].file, "dag.yaml");
  EXPECT_EQ(base.errors()[1].message, "dag error");
  ASSERT_EQ(base.warnings().size(), 1u);
  EXPECT_EQ(base.warnings()[0].file, "dag.yaml");
  EXPECT_THAT(dag.warnings(), ::testing::SizeIs(1));
  EXPECT_THAT(DiagnosticLog("x").errors(), IsEmpty());
}

}  // namespace
}  // namespace weft::dag
