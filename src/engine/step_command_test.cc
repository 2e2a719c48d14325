#include "engine/step_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace weft::engine {
namespace {

using Argv = std::vector<std::string>;

class StepCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("weft-cmd-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    context_ = {dir_.string(), "", (dir_ / "step.sh").string()};
    vars_.Set("WHO", "world");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  StepCommand Build(const dag::Step& step) {
    StepCommand out;
    std::string error;
    EXPECT_TRUE(BuildStepCommand(dag_, step, vars_, context_, &out, &error)) << error;
    return out;
  }

  std::filesystem::path dir_;
  dag::Dag dag_;
  eval::Variables vars_;
  StepCommandContext context_;
};

TEST_F(StepCommandTest, DefaultShellIsShWithErrexitAndVariablesExpanded) {
  dag::Step step;
  step.commands = {"echo ${WHO} '$WHO' $UNKNOWN"};
  StepCommand cmd = Build(step);
  ASSERT_EQ(cmd.argvs.size(), 1u);
  // The shell reads WHO from the step's environment: the value is never shell text.
  EXPECT_EQ(cmd.argvs[0], (Argv{"sh", "-e", "-c", "echo ${WHO} '$WHO' $UNKNOWN"}));
  EXPECT_EQ(cmd.working_dir, dir_.string());
}

TEST_F(StepCommandTest, ValuesTheShellCannotReadArriveQuoted) {
  vars_.Set("x.output", "it's $(reboot)");
  dag::Step step;
  step.commands = {"echo ${x.output} \"${x.output}\""};
  EXPECT_EQ(Build(step).argvs[0].back(), R"x(echo 'it'\''s $(reboot)' "it's \$(reboot)")x");
}

TEST_F(StepCommandTest, NonShellInterpreterGetsValuesAsWritten) {
  dag::Step step;
  step.commands = {"python3"};
  step.script = "print(\"${WHO}\")";
  Build(step);
  std::ifstream script(dir_ / "step.sh");
  std::string text((std::istreambuf_iterator<char>(script)), {});
  EXPECT_EQ(text, "print(\"world\")");
}

TEST_F(StepCommandTest, ShellFromEnvironmentOfSameFamilyGetsErrexit) {
  context_.default_shell = "/bin/bash";
  dag::Step step;
  step.commands = {"true"};
  EXPECT_EQ(Build(step).argvs[0], (Argv{"/bin/bash", "-e", "-c", "true"}));
  context_.default_shell = "/usr/bin/fish";
  EXPECT_EQ(Build(step).argvs[0], (Argv{"/usr/bin/fish", "-c", "true"}));
}

TEST_F(StepCommandTest, ShellChosenByUserIsUsedAsWritten) {
  dag_.shell = "bash -o pipefail";
  dag::Step step;
  step.commands = {"true"};
  EXPECT_EQ(Build(step).argvs[0], (Argv{"bash", "-o", "pipefail", "-c", "true"}));
  step.shell = "dash";
  EXPECT_EQ(Build(step).argvs[0], (Argv{"dash", "-c", "true"}));
}

TEST_F(StepCommandTest, CommandListBecomesOneProcessEach) {
  dag::Step step;
  step.commands = {"echo a", "echo b"};
  StepCommand cmd = Build(step);
  ASSERT_EQ(cmd.argvs.size(), 2u);
  EXPECT_EQ(cmd.argvs[1].back(), "echo b");
}

TEST_F(StepCommandTest, ScriptIsWrittenToAFileAndRunByTheShell) {
  dag::Step step;
  step.script = "echo ${WHO}\necho done\n";
  StepCommand cmd = Build(step);
  EXPECT_EQ(cmd.argvs[0], (Argv{"sh", "-e", context_.script_path}));
  std::ifstream in(context_.script_path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "echo ${WHO}\necho done\n");
}

TEST_F(StepCommandTest, ScriptWithCommandUsesItAsInterpreter) {
  dag::Step step;
  step.script = "print('hi')";
  step.commands = {"python3 -u"};
  EXPECT_EQ(Build(step).argvs[0], (Argv{"python3", "-u", context_.script_path}));
}

TEST_F(StepCommandTest, RelativeWorkingDirIsCreatedUnderTheDagDir) {
  dag::Step step;
  step.commands = {"true"};
  step.working_dir = "out/${WHO}";
  StepCommand cmd = Build(step);
  EXPECT_EQ(cmd.working_dir, (dir_ / "out" / "world").string());
  EXPECT_TRUE(std::filesystem::is_directory(cmd.working_dir));
}

// A run makes each working directory exist once: one it has made is not looked at again.
TEST_F(StepCommandTest, AWorkingDirMadeOnceInTheRunIsNotMadeAgain) {
  std::unordered_set<std::string> existing;
  context_.existing_dirs = &existing;
  dag::Step step;
  step.commands = {"true"};
  step.working_dir = "out";
  const std::string dir = Build(step).working_dir;
  EXPECT_EQ(existing, (std::unordered_set<std::string>{dir}));
  std::filesystem::remove(dir);
  EXPECT_EQ(Build(step).working_dir, dir);
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST_F(StepCommandTest, NothingToRunIsAnError) {
  dag::Step step;
  StepCommand out;
  std::string error;
  EXPECT_FALSE(BuildStepCommand(dag_, step, vars_, context_, &out, &error));
  EXPECT_NE(error.find("nothing to run"), std::string::npos);
}

TEST_F(StepCommandTest, UncreatableWorkingDirIsAnError) {
  std::ofstream(dir_ / "file") << "x";
  dag::Step step;
  step.commands = {"true"};
  step.working_dir = (dir_ / "file" / "sub").string();
  StepCommand out;
  std::string error;
  EXPECT_FALSE(BuildStepCommand(dag_, step, vars_, context_, &out, &error));
  EXPECT_NE(error.find("cannot create working directory"), std::string::npos) << error;
}

TEST(FileSafeNameTest, NoNameEscapesTheDirectory) {
  EXPECT_EQ(FileSafeName("build"), "build");
  EXPECT_EQ(FileSafeName("../../etc/passwd"), "_.._.._etc_passwd");
  EXPECT_EQ(FileSafeName(".hidden"), "_.hidden");
  EXPECT_EQ(FileSafeName(".."), "_..");
  EXPECT_EQ(FileSafeName(""), "_");
  EXPECT_EQ(FileSafeName("a b/c"), "a_b_c");
}

TEST(SplitWordsTest, RespectsQuotes) {
  EXPECT_EQ(SplitWords("bash -o pipefail"), (Argv{"bash", "-o", "pipefail"}));
  EXPECT_EQ(SplitWords("python3 -c 'a b'"), (Argv{"python3", "-c", "a b"}));
  EXPECT_TRUE(SplitWords("").empty());
}

}  // namespace
}  // namespace weft::engine
