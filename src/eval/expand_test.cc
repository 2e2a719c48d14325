#include "eval/expand.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/command_substitution.h"
#include "eval/scratch_dir.h"

namespace weft::eval {
namespace {

class ExpandTest : public ::testing::Test {
 protected:
  ExpandTest() {
    vars_.Set("A", "alpha");
    vars_.Set("AB", "ab");
    vars_.Set("EMPTY", "");
    vars_.Set("1", "one");
    vars_.Set("2", "two");
    vars_.Set("10", "ten");
    vars_.Set("J", R"({"a":{"b":"deep","n":7},"arr":[{"x":"first"},2,[3]],"s":"str"})");
    vars_.Set("TEXT", "not json");
    vars_.Set("step.stdout", "/logs/step.out");
    vars_.Set("id.output", R"({"key":"from output"})");
  }

  std::string Plain(std::string_view text) { return Expand(text, vars_); }
  std::string Shell(std::string_view text) {
    return Expand(text, vars_, ExpandOptions{.respect_single_quotes = true});
  }
  std::string ShellWithEnvironment(std::string_view text) {
    return Expand(text, vars_,
                  ExpandOptions{.respect_single_quotes = true, .shell_reads_environment = true});
  }

  Variables vars_;
};

TEST_F(ExpandTest, TextWithoutReferencesIsUnchanged) {
  EXPECT_EQ(Plain(""), "");
  EXPECT_EQ(Plain("plain text { } \\n"), "plain text { } \\n");
}

TEST_F(ExpandTest, BracedAndBareNamesAreReplaced) {
  EXPECT_EQ(Plain("${A} $A"), "alpha alpha");
  EXPECT_EQ(Plain("x${EMPTY}y"), "xy");
}

TEST_F(ExpandTest, BareNameTakesTheLongestRunOfNameCharacters) {
  EXPECT_EQ(Plain("$AB $A-x $A.y ${A}B"), "ab alpha-x alpha.y alphaB");
  EXPECT_EQ(Plain("$ABC"), "$ABC");
}

TEST_F(ExpandTest, UnknownNamesAreLeftExactlyAsWritten) {
  EXPECT_EQ(Plain("$NOPE ${NOPE} ${NOPE:-x} ${} ${ A }"), "$NOPE ${NOPE} ${NOPE:-x} ${} ${ A }");
}

TEST_F(ExpandTest, DollarWithoutNameIsLiteral) {
  EXPECT_EQ(Plain("$ $$ a$ $-1 $("), "$ $$ a$ $-1 $(");
}

TEST_F(ExpandTest, UnclosedBraceIsLeftAsWrittenAndLaterReferencesStillExpand) {
  EXPECT_EQ(Plain("${A $A"), "${A alpha");
  EXPECT_EQ(Plain("$A ${A"), "alpha ${A");
}

TEST_F(ExpandTest, ManyUnclosedBracesAreCopiedThrough) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "${";
  text += "$A";
  EXPECT_EQ(Plain(text), text.substr(0, text.size() - 2) + "alpha");
}

TEST_F(ExpandTest, PositionalParamsAreSingleDigitBareOrAnyNumberBraced) {
  EXPECT_EQ(Plain("$1 $2 ${1} ${10}"), "one two one ten");
  EXPECT_EQ(Plain("$10"), "one0");
  EXPECT_EQ(Plain("$0 $3"), "$0 $3");
}

TEST_F(ExpandTest, BackslashDollarIsALiteralDollar) {
  EXPECT_EQ(Plain(R"(\$A \${A} cost \$5)"), "$A ${A} cost $5");
}

TEST_F(ExpandTest, EscapedBackslashDoesNotEscapeTheDollar) {
  EXPECT_EQ(Plain(R"(\\$A)"), R"(\\alpha)");
  EXPECT_EQ(Plain(R"(C:\dir\$A)"), R"(C:\dir$A)");
}

TEST_F(ExpandTest, SingleQuotesAreOrdinaryOutsideShellText) { EXPECT_EQ(Plain("'$A'"), "'alpha'"); }

TEST_F(ExpandTest, ShellTextLeavesSingleQuotedSectionsToTheShell) {
  EXPECT_EQ(Shell("echo '$A ${A}' $A"), "echo '$A ${A}' alpha");
}

TEST_F(ExpandTest, ShellTextExpandsSingleQuotesInsideDoubleQuotes) {
  EXPECT_EQ(Shell(R"(echo "it's $A" '$A')"), R"(echo "it's alpha" '$A')");
}

TEST_F(ExpandTest, ShellTextEscapedQuoteOpensNoSection) {
  EXPECT_EQ(Shell(R"(echo It\'s $A)"), R"(echo It\'s alpha)");
  EXPECT_EQ(Shell(R"(echo "a \" $A")"), R"(echo "a \" alpha")");
}

TEST_F(ExpandTest, ShellTextKeepsBackslashDollarForTheShell) {
  EXPECT_EQ(Shell(R"(echo \$A "\$A")"), R"(echo \$A "\$A")");
}

TEST_F(ExpandTest, ShellTextUnclosedSingleQuoteIsCopiedToTheEnd) {
  EXPECT_EQ(Shell("echo $A 'x $A"), "echo alpha 'x $A");
}

TEST_F(ExpandTest, DottedNameRegisteredAsVariableIsFound) {
  EXPECT_EQ(Plain("${step.stdout}"), "/logs/step.out");
}

TEST_F(ExpandTest, FullDottedNameWinsOverJsonPath) {
  vars_.Set("J.s", "direct");
  EXPECT_EQ(Plain("${J.s}"), "direct");
}

TEST_F(ExpandTest, JsonPathReadsKeysAndIndexes) {
  EXPECT_EQ(Plain("${J.a.b} ${J.arr[0].x} ${J.arr[1]} ${J.arr[2][0]}"), "deep first 2 3");
}

TEST_F(ExpandTest, JsonStringsAreRawAndOtherValuesCompactJson) {
  EXPECT_EQ(Plain("${J.s}|${J.a.n}|${J.a}|${J.arr[2]}"), R"(str|7|{"b":"deep","n":7}|[3])");
}

TEST_F(ExpandTest, JsonPathIntoDottedVariable) {
  EXPECT_EQ(Plain("${id.output.key}"), "from output");
}

TEST_F(ExpandTest, MissingJsonPathIsLeftAsWritten) {
  EXPECT_EQ(Plain("${J.missing} ${J.a.b.c} ${J.arr[9]} ${J.s[0]} ${J.arr.x}"),
            "${J.missing} ${J.a.b.c} ${J.arr[9]} ${J.s[0]} ${J.arr.x}");
}

TEST_F(ExpandTest, MalformedJsonPathIsLeftAsWritten) {
  EXPECT_EQ(Plain("${J..a} ${J.} ${J.arr[x]} ${J.arr[-1]} ${J.arr[0} ${J.arr[0]x}"),
            "${J..a} ${J.} ${J.arr[x]} ${J.arr[-1]} ${J.arr[0} ${J.arr[0]x}");
}

TEST_F(ExpandTest, JsonPathIntoNonJsonOrUnknownVariableIsLeftAsWritten) {
  EXPECT_EQ(Plain("${TEXT.a} ${NOPE.a} ${A[0]}"), "${TEXT.a} ${NOPE.a} ${A[0]}");
}

TEST_F(ExpandTest, InsertedValuesAreNotExpandedAgain) {
  vars_.Set("SELF", "${SELF}");
  vars_.Set("REF", "$A ${A} \\$A");
  vars_.Set("CMD", "$(rm -rf /) `rm -rf /`");
  EXPECT_EQ(Plain("${SELF}|$REF|$CMD"), "${SELF}|$A ${A} \\$A|$(rm -rf /) `rm -rf /`");
}

TEST_F(ExpandTest, JsonStringValueIsNotExpandedAgain) {
  vars_.Set("K", R"({"v":"${A}"})");
  EXPECT_EQ(Plain("${K.v}"), "${A}");
}

TEST_F(ExpandTest, ShellReadingTheEnvironmentExpandsPlainNamesItself) {
  EXPECT_EQ(ShellWithEnvironment("echo $A ${A} \"$AB\" ${NOPE} '$A'"),
            "echo $A ${A} \"$AB\" ${NOPE} '$A'");
}

TEST_F(ExpandTest, ShellReadingTheEnvironmentGetsOtherValuesQuoted) {
  vars_.Set("1", "it's $(x)");
  EXPECT_EQ(ShellWithEnvironment("echo $1 ${J.s} ${step.stdout} ${J.a}"),
            R"(echo 'it'\''s $(x)' 'str' '/logs/step.out' '{"b":"deep","n":7}')");
  EXPECT_EQ(ShellWithEnvironment(R"(echo "$1 ${J.s}")"), R"(echo "it's \$(x) str")");
}

TEST_F(ExpandTest, ShellReadingTheEnvironmentNeedsShellText) {
  EXPECT_EQ(Expand("$A $1", vars_, ExpandOptions{.shell_reads_environment = true}), "alpha one");
}

// The point of shell_reads_environment: whatever a value holds, the shell prints it back
// verbatim and runs none of it.
TEST_F(ExpandTest, ValuesHoldingShellCodeStayDataWhenTheShellRunsTheText) {
  ScratchDir dir;
  const std::string marker = (dir.path() / "ran").string();
  const std::string code =
      "$(touch " + marker + ") `touch " + marker + "` ; touch " + marker + " ' \" \\ ${A} $A";
  vars_.Set("A", code);
  vars_.Set("1", code);
  vars_.Set("J", nlohmann::json({{"v", code}}).dump());
  for (const char* command :
       {"printf '%s|' $A", "printf '%s|' \"$A\"", "printf '%s|' ${A}", "printf '%s|' \"${1}\"",
        "printf '%s|' $1", "printf '%s|' ${J.v}", "printf '%s|' \"${J.v}\""}) {
    std::string error;
    auto out = RunForOutput(ShellWithEnvironment(command), ToEnvp(vars_), {}, &error);
    ASSERT_TRUE(out.has_value()) << command << ": " << error;
    EXPECT_THAT(*out, ::testing::HasSubstr("`touch")) << command;
    EXPECT_FALSE(std::filesystem::exists(marker)) << command;
  }
}

// A run's references as a step's scope sees them: `${p.stdout}` and `${p.output}` of a step with
// id p, looked up rather than stored.
class RunReferences : public References {
 public:
  const std::string* Find(std::string_view name) const override {
    if (name == "p.stdout") return &stdout_;
    if (name == "p.output") return &output_;
    return nullptr;
  }

 private:
  std::string stdout_ = "/logs/it's p.out";
  std::string output_ = R"({"rows":[{"name":"first"}],"n":2})";
};

class ExpandReferencesTest : public ::testing::Test {
 protected:
  ExpandReferencesTest() {
    auto run = std::make_shared<Variables>();
    run->Set("A", "alpha");
    refs_ = std::make_shared<RunReferences>();
    step_ = Variables(std::move(run), refs_);
  }
  std::shared_ptr<RunReferences> refs_;
  Variables step_;
};

TEST_F(ExpandReferencesTest, ReferencesResolveWhenTheTextNamesThem) {
  EXPECT_EQ(Expand("cat ${p.stdout} $A", step_), "cat /logs/it's p.out alpha");
  EXPECT_EQ(Expand("${p.output.rows[0].name} ${p.output.n}", step_), "first 2");
}

TEST_F(ExpandReferencesTest, UnknownIdOrFieldIsLeftAsWritten) {
  EXPECT_EQ(Expand("${p.nope} ${q.stdout} ${p.stdout.x} ${p.output.missing} $p.stdout", step_),
            "${p.nope} ${q.stdout} ${p.stdout.x} ${p.output.missing} $p.stdout");
}

TEST_F(ExpandReferencesTest, ShellTextGetsReferencesQuotedSinceTheEnvironmentLacksThem) {
  EXPECT_EQ(Expand("cat ${p.stdout} ${A}", step_,
                   ExpandOptions{.respect_single_quotes = true, .shell_reads_environment = true}),
            R"(cat '/logs/it'\''s p.out' ${A})");
}

TEST_F(ExpandReferencesTest, AStepEnvEntryShadowsAReference) {
  step_.Set("p.stdout", "/elsewhere");
  EXPECT_EQ(Expand("${p.stdout}", step_), "/elsewhere");
}

}  // namespace
}  // namespace weft::eval
