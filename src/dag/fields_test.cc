#include "dag/fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dag/diagnostic_matchers.h"
#include "dag/yaml_fixture.h"
#include "eval/params.h"

namespace weft::dag {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

auto IsEnv(const std::string& name, const std::string& value, int line) {
  return AllOf(Field(&EnvEntry::name, name), Field(&EnvEntry::value, value),
               Field(&EnvEntry::where, Field(&Location::line, line)));
}

auto IsParam(const std::string& name, const std::string& value) {
  return AllOf(Field(&ParamDef::name, name), Field(&ParamDef::default_value, value));
}

auto IsCondition(const std::string& condition, const std::string& expected, bool is_command,
                 bool negate) {
  return AllOf(Field(&Condition::condition, condition), Field(&Condition::expected, expected),
               Field(&Condition::is_command, is_command), Field(&Condition::negate, negate));
}

using FieldsTest = YamlFixture;

TEST_F(FieldsTest, EnvAsListOfMapsKeepsOrderAndRawText) {
  const YamlNode& env = Parse("- B: 1\n- A: ${B}/x\n- C: true\n- D:\n- E: 1\n  F: 2\n");
  EXPECT_THAT(ParseEnv(env, "env", log_),
              ElementsAre(IsEnv("B", "1", 1), IsEnv("A", "${B}/x", 2), IsEnv("C", "true", 3),
                          IsEnv("D", "", 4), IsEnv("E", "1", 5), IsEnv("F", "2", 6)));
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(FieldsTest, EnvAsListOfStringsSplitsAtTheFirstEquals) {
  const YamlNode& env = Parse("- A=1\n- B=x=y\n- C=\n");
  EXPECT_THAT(ParseEnv(env, "env", log_),
              ElementsAre(IsEnv("A", "1", 1), IsEnv("B", "x=y", 2), IsEnv("C", "", 3)));
}

TEST_F(FieldsTest, EnvAsMapKeepsFileOrder) {
  const YamlNode& env = Parse("Z: 1\nA: 2\nM: '`date`'\n");
  EXPECT_THAT(ParseEnv(env, "env", log_),
              ElementsAre(IsEnv("Z", "1", 1), IsEnv("A", "2", 2), IsEnv("M", "`date`", 3)));
}

TEST_F(FieldsTest, EnvErrorsNameTheEntry) {
  const YamlNode& env = Parse("- NOEQUALS\n- 1A=x\n- [x]\n- A: [1]\n");
  EXPECT_THAT(ParseEnv(env, "env", log_), IsEmpty());
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(AllOf(DiagnosticAt(1, 3, "env", "env entry `NOEQUALS` has no `=`"),
                        WithHint("write NAME=value or NAME: value")),
                  DiagnosticAt(2, 3, "env", "`1A` is not a valid environment variable name"),
                  DiagnosticAt(3, 3, "env", HasSubstr("not a list")),
                  DiagnosticAt(4, 6, "A", "the value of `A` must be a string, not a list")));
}

TEST_F(FieldsTest, EnvOfTheWrongTypeSaysWhatIsExpected) {
  const YamlNode& env = Parse("env: x\n");
  EXPECT_THAT(ParseEnv(env.value(0), "env", log_), IsEmpty());
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(1, 6, "env",
                                       "`env` must be a mapping or a list of NAME=value entries, "
                                       "not `x`")));
}

TEST_F(FieldsTest, ParamsAsStringUseShellQuoting) {
  const YamlNode& params = Parse("p: A=1 B='x y' positional C=\"q\\\"r\"\n");
  const auto parsed = ParseParamsValue(params.value(0), "params", log_);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_THAT(parsed->params, ElementsAre(IsParam("A", "1"), IsParam("B", "x y"),
                                          IsParam("", "positional"), IsParam("C", "q\"r")));
  EXPECT_EQ(parsed->text, "A=1 B='x y' positional C=\"q\\\"r\"");
}

TEST_F(FieldsTest, ParamsAsListOfMapsStringsAndPositionals) {
  const YamlNode& params = Parse("- A: 1\n- \"B=x y\"\n- first\n- C:\n- 2=x\n");
  const auto parsed = ParseParamsValue(params, "params", log_);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_THAT(parsed->params,
              ElementsAre(IsParam("A", "1"), IsParam("B", "x y"), IsParam("", "first"),
                          IsParam("C", ""), IsParam("", "2=x")));
  EXPECT_EQ(parsed->text, "A=1 B='x y' first C='' 2=x");
}

TEST_F(FieldsTest, ParamsAsMapKeepOrder) {
  const YamlNode& params = Parse("Z: last one\nA: \"it's\"\n");
  const auto parsed = ParseParamsValue(params, "params", log_);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_THAT(parsed->params, ElementsAre(IsParam("Z", "last one"), IsParam("A", "it's")));
  EXPECT_EQ(parsed->text, "Z='last one' A='it'\\''s'");
}

TEST_F(FieldsTest, ParamsTextOfListAndMapFormsReadsBackTheSame) {
  const YamlNode& params =
      Parse("A: plain\nB: two words\nC: \"quote ' and \\\" and \\\\\"\nD: ${X}\nE: ''\n");
  const auto parsed = ParseParamsValue(params, "params", log_);
  ASSERT_TRUE(parsed.has_value());
  std::string error;
  const auto reread = eval::ParseParams(parsed->text, &error);
  ASSERT_TRUE(reread.has_value()) << error;
  ASSERT_EQ(reread->size(), parsed->params.size());
  for (std::size_t i = 0; i < reread->size(); ++i) {
    EXPECT_EQ((*reread)[i].name, parsed->params[i].name);
    EXPECT_EQ((*reread)[i].value, parsed->params[i].default_value);
  }
}

TEST_F(FieldsTest, ParamErrors) {
  const YamlNode& params = Parse(
      "a: A=1 'open\n"
      "b: {A: 1, A-B: 2}\n"
      "c: [{A: 1}, A=2]\n"
      "d: [[1]]\n"
      "e: {A: [1]}\n");
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(ParseParamsValue(params.value(i), params.key(i).text, log_), std::nullopt)
        << params.key(i).text;
  }
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(DiagnosticAt(1, 4, "a", HasSubstr("unterminated ' quote")),
                  AllOf(DiagnosticAt(2, 11, "b", "param name `A-B` is not a valid variable name"),
                        WithHint(HasSubstr("letters, digits and `_`"))),
                  DiagnosticAt(3, 13, "c", "param `A` is declared twice"),
                  DiagnosticAt(4, 5, "d", HasSubstr("not a list")),
                  DiagnosticAt(5, 8, "A",
                               "the value of `A` must be a string, not a "
                               "list")));
}

TEST_F(FieldsTest, EmptyParamsHaveNone) {
  const YamlNode& params = Parse("a: ''\nb:\n");
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto parsed = ParseParamsValue(params.value(i), "params", log_);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_THAT(parsed->params, IsEmpty());
    EXPECT_EQ(parsed->text, "");
  }
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(FieldsTest, PreconditionStringIsACommand) {
  const YamlNode& node = Parse("p: test -f /tmp/x\n");
  EXPECT_THAT(ParsePreconditions(node.value(0), "p", log_),
              ElementsAre(IsCondition("test -f /tmp/x", "", true, false)));
}

TEST_F(FieldsTest, PreconditionMappingsAndLists) {
  const YamlNode& node = Parse(
      "- condition: \"`date +%d`\"\n"
      "  expected: \"01\"\n"
      "- condition: $STATUS\n"
      "  expected: re:ok|done\n"
      "  negate: true\n"
      "- command: test -d /data\n"
      "- condition: test -e x\n"
      "- echo ok\n");
  EXPECT_THAT(ParsePreconditions(node, "preconditions", log_),
              ElementsAre(IsCondition("`date +%d`", "01", false, false),
                          IsCondition("$STATUS", "re:ok|done", false, true),
                          IsCondition("test -d /data", "", true, false),
                          IsCondition("test -e x", "", true, false),
                          IsCondition("echo ok", "", true, false)));
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(FieldsTest, PreconditionErrors) {
  const YamlNode& node = Parse(
      "- {condition: a, command: b}\n"
      "- {expected: x}\n"
      "- {command: a, expected: b}\n"
      "- [x]\n"
      "- {conditon: a}\n");
  EXPECT_THAT(ParsePreconditions(node, "preconditions", log_), IsEmpty());
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(
          DiagnosticAt(1, 3, "preconditions",
                       "a precondition has either `condition` or `command`, not both"),
          DiagnosticAt(2, 3, "preconditions", "a precondition needs `condition` or `command`"),
          DiagnosticAt(3, 26, "expected", "`expected` applies to `condition`, not to `command`"),
          DiagnosticAt(4, 3, "preconditions", HasSubstr("not a list")),
          AllOf(DiagnosticAt(5, 4, "conditon", HasSubstr("unknown key")),
                WithHint("did you mean `condition`?")),
          DiagnosticAt(5, 3, "preconditions", "a precondition needs `condition` or `command`")));
}

TEST(QuoteParamTest, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(QuoteParam("abc-1.2/x:y@z,w=v+%"), "abc-1.2/x:y@z,w=v+%");
  EXPECT_EQ(QuoteParam(""), "''");
  EXPECT_EQ(QuoteParam("a b"), "'a b'");
  EXPECT_EQ(QuoteParam("${X}"), "'${X}'");
  EXPECT_EQ(QuoteParam("it's"), "'it'\\''s'");
}

}  // namespace
}  // namespace weft::dag
