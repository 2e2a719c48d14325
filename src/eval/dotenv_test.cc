#include "eval/dotenv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eval/scratch_dir.h"

namespace weft::eval {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

auto IsEntry(const std::string& name, const std::string& value, bool expand, int line) {
  return AllOf(Field(&DotenvEntry::name, name), Field(&DotenvEntry::value, value),
               Field(&DotenvEntry::expand, expand), Field(&DotenvEntry::line, line));
}

std::vector<DotenvEntry> Parse(std::string_view text) {
  std::string error;
  std::optional<std::vector<DotenvEntry>> entries = ParseDotenv(text, "t.env", &error);
  EXPECT_TRUE(entries.has_value()) << error;
  return entries.value_or(std::vector<DotenvEntry>{});
}

std::string ParseError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(ParseDotenv(text, "t.env", &error).has_value()) << text;
  return error;
}

TEST(ParseDotenvTest, EmptyTextHasNoEntries) {
  EXPECT_THAT(Parse(""), IsEmpty());
  EXPECT_THAT(Parse("\n\n  \n"), IsEmpty());
}

TEST(ParseDotenvTest, ReadsAssignmentsSkippingCommentsAndBlankLines) {
  EXPECT_THAT(Parse("# comment\nA=1\n\n  # indented comment\nB=two words\n"),
              ElementsAre(IsEntry("A", "1", true, 2), IsEntry("B", "two words", true, 5)));
}

TEST(ParseDotenvTest, LastLineNeedsNoNewline) {
  EXPECT_THAT(Parse("A=1"), ElementsAre(IsEntry("A", "1", true, 1)));
}

TEST(ParseDotenvTest, BlanksAroundNameAndValueAreTrimmed) {
  EXPECT_THAT(Parse("  A =  x y  \t\n"), ElementsAre(IsEntry("A", "x y", true, 1)));
}

TEST(ParseDotenvTest, EmptyValueIsAllowed) {
  EXPECT_THAT(Parse("A=\nB= # note\n"),
              ElementsAre(IsEntry("A", "", true, 1), IsEntry("B", "", true, 2)));
}

TEST(ParseDotenvTest, ExportPrefixIsDropped) {
  EXPECT_THAT(Parse("export A=1\nexport\tB=2\nexport=3\nexporter=4\n"),
              ElementsAre(IsEntry("A", "1", true, 1), IsEntry("B", "2", true, 2),
                          IsEntry("export", "3", true, 3), IsEntry("exporter", "4", true, 4)));
}

TEST(ParseDotenvTest, CommentAfterUnquotedValueNeedsABlankBeforeIt) {
  EXPECT_THAT(Parse("A=x # note\nB=x#y\nC=a=b\nD=#d\n"),
              ElementsAre(IsEntry("A", "x", true, 1), IsEntry("B", "x#y", true, 2),
                          IsEntry("C", "a=b", true, 3), IsEntry("D", "#d", true, 4)));
}

TEST(ParseDotenvTest, SingleQuotedValueIsLiteralAndNotExpanded) {
  EXPECT_THAT(Parse(R"(A='x # $B \n "q"'  # note)"),
              ElementsAre(IsEntry("A", R"(x # $B \n "q")", false, 1)));
}

TEST(ParseDotenvTest, DoubleQuotedValueUnescapes) {
  EXPECT_THAT(Parse(R"(A="l1\nl2\tt\r \"q\" \\ # x")"),
              ElementsAre(IsEntry("A", "l1\nl2\tt\r \"q\" \\ # x", true, 1)));
}

TEST(ParseDotenvTest, DoubleQuotedKeepsBackslashDollarAndUnknownEscapes) {
  EXPECT_THAT(Parse(R"(A="\$HOME \d")"), ElementsAre(IsEntry("A", R"(\$HOME \d)", true, 1)));
}

TEST(ParseDotenvTest, QuotedValueMaySpanLinesAndLaterLinesKeepTheirNumbers) {
  EXPECT_THAT(Parse("A=\"first\nsecond\"\nB='x\ny'\nC=3\n"),
              ElementsAre(IsEntry("A", "first\nsecond", true, 1), IsEntry("B", "x\ny", false, 3),
                          IsEntry("C", "3", true, 5)));
}

TEST(ParseDotenvTest, CrLfLineEndingsAreAccepted) {
  EXPECT_THAT(Parse("A=1\r\nB=\"2\"\r\n"),
              ElementsAre(IsEntry("A", "1", true, 1), IsEntry("B", "2", true, 2)));
}

TEST(ParseDotenvTest, LineWithoutEqualsIsAnErrorNamingFileLineAndFix) {
  const std::string error = ParseError("A=1\n\nJUST_A_WORD\n");
  EXPECT_THAT(error, StartsWith("t.env:3: "));
  EXPECT_THAT(error, HasSubstr("expected NAME=VALUE, found a line without '='"));
  EXPECT_THAT(error, Not(HasSubstr("JUST_A_WORD")));  // it may be a secret
  EXPECT_THAT(error, HasSubstr("add '='"));
}

TEST(ParseDotenvTest, InvalidNameIsAnError) {
  EXPECT_THAT(ParseError("1A=x"), AllOf(StartsWith("t.env:1: "), HasSubstr("\"1A\"")));
  EXPECT_THAT(ParseError("\nA B=x"), AllOf(StartsWith("t.env:2: "), HasSubstr("\"A B\"")));
  EXPECT_THAT(ParseError("=x"), HasSubstr("invalid variable name \"\""));
}

TEST(ParseDotenvTest, UnclosedQuoteIsAnErrorAtTheOpeningLine) {
  EXPECT_THAT(ParseError("A=1\nB=\"open\nmore\n"),
              AllOf(StartsWith("t.env:2: "), HasSubstr("opening \" is never closed")));
  EXPECT_THAT(ParseError("B='open"),
              AllOf(StartsWith("t.env:1: "), HasSubstr("opening ' is never closed")));
}

TEST(ParseDotenvTest, TextAfterClosingQuoteIsAnError) {
  EXPECT_THAT(ParseError("A=\"x\" y"),
              AllOf(StartsWith("t.env:1: "), HasSubstr("after the closing quote")));
}

TEST(LoadDotenvTest, SetsEntriesExpandedWithKnownVariablesAndEarlierLines) {
  ScratchDir dir;
  const std::string file =
      dir.Write("a.env", "B=${A}-b\nC=\"$B \\$B\"\nD='$B'\nE=$UNKNOWN\nA=again\n");
  Variables vars;
  vars.Set("A", "a");
  std::string error;
  ASSERT_TRUE(LoadDotenv(file, vars, &error)) << error;
  EXPECT_THAT(ToEnvp(vars), ElementsAre("A=again", "B=a-b", "C=a-b $B", "D=$B", "E=$UNKNOWN"));
}

TEST(LoadDotenvTest, MissingFileIsAnError) {
  ScratchDir dir;
  Variables vars;
  std::string error;
  EXPECT_FALSE(LoadDotenv((dir.path() / "none.env").string(), vars, &error));
  EXPECT_THAT(error, HasSubstr("none.env: cannot read the dotenv file"));
}

TEST(LoadDotenvTest, DirectoryIsAnError) {
  ScratchDir dir;
  Variables vars;
  std::string error;
  EXPECT_FALSE(LoadDotenv(dir.path().string(), vars, &error));
  EXPECT_THAT(error, HasSubstr("readable regular file"));
}

TEST(LoadDotenvTest, ParseErrorNamesTheFileAndLeavesVariablesUnchanged) {
  ScratchDir dir;
  const std::string file = dir.Write("bad.env", "A=1\noops\n");
  Variables vars;
  std::string error;
  EXPECT_FALSE(LoadDotenv(file, vars, &error));
  EXPECT_EQ(error.rfind(file + ":2: ", 0), 0u) << error;
  EXPECT_EQ(vars.size(), 0u);
}

}  // namespace
}  // namespace weft::eval
