#include "eval/command_substitution.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval/scratch_dir.h"

namespace weft::eval {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::Field;
using ::testing::HasSubstr;

std::string Output(const std::string& command, const std::vector<std::string>& env = {},
                   const CommandOptions& options = {}) {
  std::string error;
  std::optional<std::string> output = RunForOutput(command, env, options, &error);
  EXPECT_TRUE(output.has_value()) << error;
  return output.value_or("<failed>");
}

std::string Failure(const std::string& command, const CommandOptions& options = {}) {
  std::string error;
  EXPECT_FALSE(RunForOutput(command, {}, options, &error).has_value()) << command;
  return error;
}

TEST(RunForOutputTest, ReturnsStdoutTrimmedOnBothEnds) {
  EXPECT_EQ(Output("echo hello"), "hello");
  EXPECT_EQ(Output("printf '\\n  a b \\n\\t\\n'"), "a b");
  EXPECT_EQ(Output("true"), "");
}

TEST(RunForOutputTest, StderrIsNotPartOfTheValue) {
  EXPECT_EQ(Output("echo out; echo err >&2"), "out");
}

TEST(RunForOutputTest, EnvironmentIsExactlyTheOneGiven) {
  EXPECT_EQ(Output("echo \"$FOO ${HOME-no-home}\"", {"FOO=bar"}), "bar no-home");
}

TEST(RunForOutputTest, RunsInTheWorkingDir) {
  ScratchDir dir;
  CommandOptions options;
  options.working_dir = dir.path().string();
  EXPECT_EQ(Output("pwd -P", {}, options), std::filesystem::canonical(dir.path()).string());
}

TEST(RunForOutputTest, StdinIsEmpty) { EXPECT_EQ(Output("cat"), ""); }

TEST(RunForOutputTest, OutputUpToTheLimitIsKept) {
  CommandOptions options;
  options.max_output_bytes = 5;
  EXPECT_EQ(Output("printf 12345", {}, options), "12345");
}

TEST(RunForOutputTest, OutputOverTheLimitIsAnError) {
  CommandOptions options;
  options.max_output_bytes = 1000;
  EXPECT_THAT(Failure("yes", options),
              AllOf(HasSubstr("command `yes`"), HasSubstr("more than 1000 bytes")));
}

TEST(RunForOutputTest, LargeStderrDoesNotBlockTheCommand) {
  EXPECT_EQ(Output("head -c 1000000 /dev/zero >&2; echo done"), "done");
}

TEST(RunForOutputTest, NonZeroExitIsAnErrorQuotingStderrFirstLine) {
  const std::string error = Failure("echo partial; echo 'it broke' >&2; echo more >&2; exit 3");
  EXPECT_THAT(error, HasSubstr("command `echo partial;"));
  EXPECT_THAT(error, EndsWith("exited with status 3: it broke"));
}

TEST(RunForOutputTest, DeathBySignalIsAnError) {
  EXPECT_THAT(Failure("kill -TERM $$"), HasSubstr("was killed by signal 15"));
}

TEST(RunForOutputTest, MissingWorkingDirIsAnError) {
  ScratchDir dir;
  CommandOptions options;
  options.working_dir = (dir.path() / "missing").string();
  EXPECT_THAT(Failure("true", options),
              AllOf(HasSubstr("could not be started"), HasSubstr("missing")));
}

TEST(RunForOutputTest, TimeoutIsAnError) {
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(200);
  EXPECT_THAT(
      Failure("sleep 1000", options),
      AllOf(HasSubstr("command `sleep 1000` timed out after 200 ms"), HasSubstr("was killed")));
}

TEST(RunForOutputTest, TimeoutAppliesAfterTheCommandClosesItsOutput) {
  CommandOptions options;
  options.timeout = std::chrono::milliseconds(200);
  EXPECT_THAT(Failure("exec >&- 2>&-; sleep 1000", options), HasSubstr("timed out"));
}

TEST(RunForOutputTest, TimeoutKillsTheWholeProcessGroup) {
  ScratchDir dir;
  const std::string fifo = (dir.path() / "fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  CommandOptions options;
  options.timeout = std::chrono::seconds(1);
  // A background grandchild holds the fifo open; once it has been killed the fifo hangs up.
  EXPECT_THAT(Failure("sleep 1000 >'" + fifo + "' & wait", options), HasSubstr("timed out"));
  pollfd hangup{reader, POLLIN, 0};
  ASSERT_EQ(poll(&hangup, 1, 10000), 1) << "the background sleep is still alive";
  EXPECT_NE(hangup.revents & POLLHUP, 0);
  close(reader);
}

auto IsPiece(const std::string& text, bool is_command) {
  return AllOf(Field(&TextPiece::text, text), Field(&TextPiece::is_command, is_command));
}

std::vector<TextPiece> Split(std::string_view text) {
  std::string error;
  std::optional<std::vector<TextPiece>> pieces = SplitCommands(text, &error);
  EXPECT_TRUE(pieces.has_value()) << error;
  return pieces.value_or(std::vector<TextPiece>{});
}

TEST(SplitCommandsTest, TextWithoutBackticksIsOneLiteral) {
  EXPECT_THAT(Split("a $B c"), ElementsAre(IsPiece("a $B c", false)));
}

TEST(SplitCommandsTest, BackticksDelimitCommands) {
  EXPECT_THAT(Split("a`b c`d``"),
              ElementsAre(IsPiece("a", false), IsPiece("b c", true), IsPiece("d", false),
                          IsPiece("", true), IsPiece("", false)));
}

TEST(SplitCommandsTest, EscapedBacktickIsLiteralAndOtherEscapesStay) {
  EXPECT_THAT(Split(R"(\`x\` \$A `echo \` \$B`)"),
              ElementsAre(IsPiece(R"(`x` \$A )", false), IsPiece(R"(echo ` \$B)", true),
                          IsPiece("", false)));
}

TEST(SplitCommandsTest, UnclosedBacktickIsAnErrorNamingColumn) {
  std::string error;
  EXPECT_FALSE(SplitCommands("ok `a` `date", &error).has_value());
  EXPECT_THAT(error, AllOf(HasSubstr("unclosed backtick at column 8"), HasSubstr("\\`")));
}

class EvaluateValueTest : public ::testing::Test {
 protected:
  EvaluateValueTest() {
    vars_.Set("A", "1");
    vars_.Set("EVIL", "`echo ran`");
  }

  std::string Evaluate(std::string_view text) {
    std::string error;
    std::optional<std::string> value = EvaluateValue(text, vars_, {}, &error);
    EXPECT_TRUE(value.has_value()) << error;
    return value.value_or("<failed>");
  }

  Variables vars_;
};

TEST_F(EvaluateValueTest, WithoutBackticksItIsExpansion) {
  EXPECT_EQ(Evaluate("x-${A}-\\$A-$NOPE"), "x-1-$A-$NOPE");
}

TEST_F(EvaluateValueTest, CommandsRunAndLiteralsExpand) {
  EXPECT_EQ(Evaluate("x-${A}-`echo y`-`echo z`"), "x-1-y-z");
}

TEST_F(EvaluateValueTest, CommandsSeeTheVariablesInTheirEnvironment) {
  EXPECT_EQ(Evaluate("`echo \"$A\"`"), "1");
}

TEST_F(EvaluateValueTest, CommandOutputIsNotExpanded) {
  EXPECT_EQ(Evaluate("`echo '${A}'`"), "${A}");
}

TEST_F(EvaluateValueTest, BackticksInsideAVariableValueNeverRun) {
  EXPECT_EQ(Evaluate("${EVIL}"), "`echo ran`");
}

TEST_F(EvaluateValueTest, EscapedBacktickIsLiteral) { EXPECT_EQ(Evaluate("\\`$A\\`"), "`1`"); }

TEST_F(EvaluateValueTest, CommandFailureIsReported) {
  std::string error;
  EXPECT_FALSE(EvaluateValue("a `exit 4`", vars_, {}, &error).has_value());
  EXPECT_THAT(error, HasSubstr("command `exit 4` exited with status 4"));
}

TEST_F(EvaluateValueTest, UnclosedBacktickIsReported) {
  std::string error;
  EXPECT_FALSE(EvaluateValue("a `date", vars_, {}, &error).has_value());
  EXPECT_THAT(error, HasSubstr("unclosed backtick"));
}

}  // namespace
}  // namespace weft::eval
