#include "eval/variables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::eval {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(VariablesTest, FindReturnsTheValueOrNullWhenUnknown) {
  Variables vars;
  vars.Set("A", "1");
  ASSERT_NE(vars.Find("A"), nullptr);
  EXPECT_EQ(*vars.Find("A"), "1");
  EXPECT_EQ(vars.Find("B"), nullptr);
  EXPECT_EQ(vars.Find("a"), nullptr);
}

TEST(VariablesTest, LaterSetWinsAndKeepsFirstPosition) {
  Variables vars;
  vars.Set("A", "1");
  vars.Set("B", "2");
  vars.Set("A", "3");
  EXPECT_EQ(vars.size(), 2u);
  EXPECT_THAT(vars.entries(), ElementsAre(Pair("A", "3"), Pair("B", "2")));
  EXPECT_EQ(*vars.Find("A"), "3");
}

TEST(VariablesTest, CopyIsIndependent) {
  Variables vars;
  vars.Set("A", "1");
  Variables copy = vars;
  copy.Set("A", "2");
  copy.Set("B", "3");
  EXPECT_EQ(*vars.Find("A"), "1");
  EXPECT_EQ(vars.Find("B"), nullptr);
  EXPECT_EQ(*copy.Find("A"), "2");
  EXPECT_EQ(*copy.Find("B"), "3");
}

TEST(VariablesTest, DottedAndDigitNamesAreOrdinaryNames) {
  Variables vars;
  vars.Set("step.stdout", "/log");
  vars.Set("1", "first");
  EXPECT_EQ(*vars.Find("step.stdout"), "/log");
  EXPECT_EQ(*vars.Find("1"), "first");
}

TEST(ToEnvpTest, GivesNameEqualsValueInFirstSetOrder) {
  Variables vars;
  vars.Set("B", "x=y");
  vars.Set("A", "");
  vars.Set("B", "2");
  EXPECT_THAT(ToEnvp(vars), ElementsAre("B=2", "A="));
}

TEST(ToEnvpTest, LeavesOutNamesAnEnvironmentCannotHold) {
  Variables vars;
  vars.Set("", "empty");
  vars.Set("A=B", "equals");
  vars.Set("id.stdout", "/log");
  EXPECT_THAT(ToEnvp(vars), ElementsAre("id.stdout=/log"));
}

TEST(IsVariableNameTest, LetterOrUnderscoreThenLettersDigitsUnderscores) {
  for (const char* name : {"A", "_", "a_1", "_9Z", "ABC_def"}) EXPECT_TRUE(IsVariableName(name));
  for (const char* name : {"", "1A", "A-B", "A.B", "A B", "\xc3\xa9", "$A"}) {
    EXPECT_FALSE(IsVariableName(name)) << name;
  }
}

}  // namespace
}  // namespace weft::eval
