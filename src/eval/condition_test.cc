#include "eval/condition.h"

#include <gtest/gtest.h>

namespace weft::eval {
namespace {

dag::Condition Compare(std::string condition, std::string expected, bool negate = false) {
  dag::Condition c;
  c.condition = std::move(condition);
  c.expected = std::move(expected);
  c.negate = negate;
  return c;
}

dag::Condition Command(std::string command, bool negate = false) {
  dag::Condition c;
  c.condition = std::move(command);
  c.is_command = true;
  c.negate = negate;
  return c;
}

class ConditionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vars_.Set("PATH", "/usr/bin:/bin");
    vars_.Set("ENV", "prod");
  }
  std::optional<ConditionResult> Evaluate(const dag::Condition& c) {
    return EvaluateCondition(c, vars_, CommandOptions{}, &error_);
  }
  Variables vars_;
  std::string error_;
};

TEST(MatchesExpectedTest, ExactTextMustBeEqual) {
  std::string error;
  EXPECT_EQ(MatchesExpected("prod", "prod", &error), true);
  EXPECT_EQ(MatchesExpected("production", "prod", &error), false);
}

TEST(MatchesExpectedTest, RegexMatchesAnywhere) {
  std::string error;
  EXPECT_EQ(MatchesExpected("release-1.2", "re:[0-9]+\\.[0-9]+", &error), true);
  EXPECT_EQ(MatchesExpected("release", "re:^[0-9]+$", &error), false);
}

TEST(MatchesExpectedTest, InvalidRegexIsAnError) {
  std::string error;
  EXPECT_EQ(MatchesExpected("x", "re:(unclosed", &error), std::nullopt);
  EXPECT_NE(error.find("invalid regular expression `(unclosed`"), std::string::npos) << error;
}

TEST_F(ConditionTest, ComparesTheExpandedCondition) {
  auto met = Evaluate(Compare("${ENV}", "prod"));
  ASSERT_TRUE(met);
  EXPECT_TRUE(met->met);
  auto unmet = Evaluate(Compare("${ENV}", "dev"));
  ASSERT_TRUE(unmet);
  EXPECT_FALSE(unmet->met);
  EXPECT_EQ(unmet->reason, "`${ENV}` is \"prod\", expected \"dev\"");
}

TEST_F(ConditionTest, BackticksInTheConditionRun) {
  auto result = Evaluate(Compare("`echo $ENV-x`", "re:^prod-"));
  ASSERT_TRUE(result) << error_;
  EXPECT_TRUE(result->met);
}

TEST_F(ConditionTest, NegateInverts) {
  auto result = Evaluate(Compare("${ENV}", "prod", /*negate=*/true));
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->met);
  EXPECT_EQ(result->reason, "`${ENV}` holds (negated)");
  EXPECT_TRUE(Evaluate(Compare("${ENV}", "dev", true))->met);
}

TEST_F(ConditionTest, CommandIsMetWhenItExitsZero) {
  EXPECT_TRUE(Evaluate(Command("test \"$ENV\" = prod"))->met);
  auto unmet = Evaluate(Command("exit 3"));
  ASSERT_TRUE(unmet);
  EXPECT_FALSE(unmet->met);
  EXPECT_NE(unmet->reason.find("exited with status 3"), std::string::npos) << unmet->reason;
  EXPECT_TRUE(Evaluate(Command("exit 3", /*negate=*/true))->met);
}

TEST_F(ConditionTest, BadRegexIsAnErrorNotUnmet) {
  EXPECT_EQ(Evaluate(Compare("x", "re:[")), std::nullopt);
  EXPECT_NE(error_.find("invalid regular expression"), std::string::npos);
}

}  // namespace
}  // namespace weft::eval
