#include "eval/params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::eval {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

auto IsParam(const std::string& name, const std::string& value) {
  return AllOf(Field(&Param::name, name), Field(&Param::value, value));
}

std::vector<Param> Parse(std::string_view text) {
  std::string error;
  std::optional<std::vector<Param>> params = ParseParams(text, &error);
  EXPECT_TRUE(params.has_value()) << error;
  return params.value_or(std::vector<Param>{});
}

std::string ParseError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(ParseParams(text, &error).has_value()) << text;
  return error;
}

TEST(ParseParamsTest, EmptyAndBlankTextHaveNoParams) {
  EXPECT_THAT(Parse(""), IsEmpty());
  EXPECT_THAT(Parse(" \t\n "), IsEmpty());
}

TEST(ParseParamsTest, NameEqualsValueIsNamedAndAnythingElsePositional) {
  EXPECT_THAT(Parse("A=1 foo _b2=x bar"), ElementsAre(IsParam("A", "1"), IsParam("", "foo"),
                                                      IsParam("_b2", "x"), IsParam("", "bar")));
}

TEST(ParseParamsTest, AnyRunOfWhitespaceSeparates) {
  EXPECT_THAT(Parse("  a\t\tb\nc  "),
              ElementsAre(IsParam("", "a"), IsParam("", "b"), IsParam("", "c")));
}

TEST(ParseParamsTest, OnlyTheFirstEqualsSplitsNameFromValue) {
  EXPECT_THAT(Parse("A=x=y B="), ElementsAre(IsParam("A", "x=y"), IsParam("B", "")));
}

TEST(ParseParamsTest, WordWhosePrefixIsNotAValidNameIsPositional) {
  EXPECT_THAT(Parse("1A=2 =x a-b=c"),
              ElementsAre(IsParam("", "1A=2"), IsParam("", "=x"), IsParam("", "a-b=c")));
}

TEST(ParseParamsTest, QuotedOrEscapedEqualsMakesNoName) {
  EXPECT_THAT(Parse(R"("A=1" 'B'=2 C\=3)"),
              ElementsAre(IsParam("", "A=1"), IsParam("", "B=2"), IsParam("", "C=3")));
}

TEST(ParseParamsTest, SingleQuotesKeepEverythingLiterally) {
  EXPECT_THAT(Parse(R"(B='x y' '$X \n "q"')"),
              ElementsAre(IsParam("B", "x y"), IsParam("", R"($X \n "q")")));
}

TEST(ParseParamsTest, DoubleQuotesGroupAndUnescapeQuoteBackslashDollarBacktick) {
  EXPECT_THAT(Parse(R"(A="x y" "a \"b\" \\ \$ \` \n")"),
              ElementsAre(IsParam("A", "x y"), IsParam("", R"(a "b" \ $ ` \n)")));
}

TEST(ParseParamsTest, BackslashOutsideQuotesEscapesAnyCharacter) {
  EXPECT_THAT(Parse(R"(a\ b It\'s \"q\")"),
              ElementsAre(IsParam("", "a b"), IsParam("", "It's"), IsParam("", "\"q\"")));
}

TEST(ParseParamsTest, TrailingBackslashStays) {
  EXPECT_THAT(Parse("a\\"), ElementsAre(IsParam("", "a\\")));
}

TEST(ParseParamsTest, AdjacentQuotedPartsJoinIntoOneWord) {
  EXPECT_THAT(Parse(R"(a"b c"'d e'f)"), ElementsAre(IsParam("", "ab cd ef")));
}

TEST(ParseParamsTest, BackticksAreKeptWithTheirCommandInOneWord) {
  EXPECT_THAT(Parse(R"(A=`echo a b` B=x`date +%s`)"),
              ElementsAre(IsParam("A", "`echo a b`"), IsParam("B", "x`date +%s`")));
}

TEST(ParseParamsTest, EscapedBacktickInsideBackticksDoesNotCloseThem) {
  EXPECT_THAT(Parse(R"(A=`echo \` x`)"), ElementsAre(IsParam("A", R"(`echo \` x`)")));
}

TEST(ParseParamsTest, UnterminatedSingleQuoteIsAnErrorNamingColumn) {
  const std::string error = ParseError("A=1 B='x y");
  EXPECT_THAT(error, HasSubstr("unterminated ' quote"));
  EXPECT_THAT(error, HasSubstr("column 7"));
  EXPECT_THAT(error, HasSubstr("add the closing '"));
}

TEST(ParseParamsTest, ErrorDoesNotQuoteTheParamsBack) {
  const std::string error = ParseError("API_TOKEN='s3cr3t-value");
  EXPECT_EQ(error, "unterminated ' quote starting at column 11 of the params: add the closing '");
}

TEST(ParseParamsTest, UnterminatedDoubleQuoteIsAnError) {
  EXPECT_THAT(ParseError(R"("abc \")"), HasSubstr("unterminated \" quote starting at column 1"));
}

TEST(ParseParamsTest, UnterminatedBacktickIsAnError) {
  EXPECT_THAT(ParseError("A=`date"), HasSubstr("unterminated ` quote starting at column 3"));
}

}  // namespace
}  // namespace weft::eval
