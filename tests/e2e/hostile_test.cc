// Hostile input to the real `weft` binary (issue 7, SPEC §8): files and values that try to
// exhaust memory, recurse, loop, break out of the run directory or smuggle in code. Each gives a
// clear error and exit 2, or runs correctly; none may crash or hang weft. The DAG files are
// generated here at run time, not committed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/weft_process.h"
#include "store/tmpfs_mount.h"

namespace weft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

json StatusOf(const WeftHome& home, const std::string& dag) {
  Result r = home.Run({"status", dag, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out) : json::object();
}

// A file written piece by piece, for the inputs too big to build as one string.
std::string WriteLarge(const WeftHome& home, const std::string& name, const std::string& head,
                       const std::string& piece, std::size_t repeat, const std::string& tail) {
  const std::string path = home.WriteFile(name, "");
  std::ofstream out(path, std::ios::binary);
  out << head;
  for (std::size_t i = 0; i < repeat; ++i) out << piece;
  out << tail;
  return path;
}

// A load error: exit 2, nothing recorded, and stderr points at `file:line:column`.
void ExpectLoadError(const WeftHome& home, const std::string& file, const std::string& place,
                     const std::string& what) {
  Result r = home.Run({"start", file});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(file + ":" + place + ": error: ")) << r.err;
  EXPECT_THAT(r.err, HasSubstr(what));
  EXPECT_EQ(home.Run({"history", "--json"}).out, "[]\n");
}

TEST(HostileTest, FiftyMegabyteFileLoadsAndRuns) {
  WeftHome home;
  const std::string file =
      WriteLarge(home, "big.yaml", "description: |\n", "  " + std::string(98, 'y') + "\n", 500'000,
                 "steps:\n  - name: only\n    command: echo small\n");
  ASSERT_GT(fs::file_size(file), 50'000'000u);
  Result r = home.Run({"start", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json run = StatusOf(home, "big");
  EXPECT_EQ(run["status"], "succeeded");
  EXPECT_EQ(ReadFile(run["steps"][0]["stdout_file"]), "small\n");
}

TEST(HostileTest, FiftyMegabyteCommandFailsItsStepWithAClearError) {
  WeftHome home;
  const std::string file =
      WriteLarge(home, "bigcmd.yaml", "steps:\n  - name: huge\n    command: echo ",
                 std::string(1000, 'x'), 50'000, "\n");
  Result r = home.Run({"start", file});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const json run = StatusOf(home, "bigcmd");
  EXPECT_EQ(run["steps"][0]["status"], "failed");
  EXPECT_THAT(run["steps"][0]["error"].get<std::string>(), HasSubstr("Argument list too long"));
}

TEST(HostileTest, FileOverTheSizeLimitIsRefusedBeforeParsing) {
  WeftHome home;
  const std::string file =
      WriteLarge(home, "huge.yaml", "# ", std::string(1 << 20, 'z'), 65, "\nsteps:\n  - echo\n");
  Result r = home.Run({"start", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(file + ": error: DAG file is 65 MiB; a DAG file is at most 64 MiB"));
}

TEST(HostileTest, BillionLaughsIsRefused) {
  WeftHome home;
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  text += "steps:\n  - echo hi\n";
  const std::string file = home.WriteFile("laughs.yaml", text);
  ExpectLoadError(home, file, "5:45", "billion laughs");
}

TEST(HostileTest, TenThousandDeepNestingIsRefusedInEveryStyle) {
  WeftHome home;
  const int depth = 10'000;
  const std::string flow_sequence = home.WriteFile(
      "flow_seq.yaml", "steps:\n  - command: " + std::string(depth, '[') + std::string(depth, ']'));
  ExpectLoadError(home, flow_sequence, "2:211", "nested more than 200 levels deep");

  std::string mapping;
  for (int i = 0; i < depth; ++i) mapping += "{a: ";
  const std::string flow_mapping =
      home.WriteFile("flow_map.yaml", "steps: " + mapping + "1" + std::string(depth, '}') + "\n");
  ExpectLoadError(home, flow_mapping, "1:804", "nested more than 200 levels deep");

  std::string block;
  for (int i = 0; i < depth; ++i) block += "- ";
  const std::string block_sequence = home.WriteFile("block.yaml", "steps:\n" + block + "x\n");
  ExpectLoadError(home, block_sequence, "2:399", "nested more than 200 levels deep");
}

TEST(HostileTest, InvalidUtf8IsAnErrorAtTheBadByte) {
  WeftHome home;
  const std::string file =
      home.WriteFile("bytes.yaml", "steps:\n  - name: ok\n    command: echo caf\xc3\x28\n");
  ExpectLoadError(home, file, "3:22", "the file is not valid text");
}

TEST(HostileTest, TenThousandStepCycleIsOneShortError) {
  WeftHome home;
  const int steps = 10'000;
  std::string text = "type: graph\nsteps:\n";
  for (int i = 0; i < steps; ++i) {
    text += "  - name: s" + std::to_string(i) + "\n    command: \"true\"\n    depends: s" +
            std::to_string((i + 1) % steps) + "\n";
  }
  const std::string file = home.WriteFile("cycle.yaml", text);
  Result r = home.Run({"start", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(file + ":3:5: error: the steps depend on each other in a cycle"));
  EXPECT_THAT(r.err, HasSubstr("more) -> `s0`"));
  EXPECT_LT(r.err.size(), 2000u) << "the cycle is summarised, not listed in full";
}

TEST(HostileTest, SelfReferencingVariablesAreExpandedOnceAndNeverLoop) {
  WeftHome home;
  home.WriteFile("self.env", "D=${D}${D}\n");
  const std::string file = home.WriteFile("self.yaml", R"(
params:
  - P: ${P}x
env:
  - A: ${A}
  - B: ${B}-${A}
dotenv: self.env
steps:
  - name: show
    command: printenv A B P D
  - name: in-command
    command: printf '%s|' "$A" "${B}" "$P" "${D}"
)");
  Result r = home.Run({"start", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json run = StatusOf(home, "self");
  EXPECT_EQ(ReadFile(run["steps"][0]["stdout_file"]), "${A}\n${B}-${A}\n${P}x\n${D}${D}\n");
  // Neither weft nor the shell expands a value a second time.
  EXPECT_EQ(ReadFile(run["steps"][1]["stdout_file"]), "${A}|${B}-${A}|${P}x|${D}${D}|");

  // A process variable of the same name is what ${A} means in the DAG's env.
  ASSERT_EQ(home.Run({"start", file}, {"A=outer"}).exit_code, 0);
  EXPECT_EQ(ReadFile(StatusOf(home, "self")["steps"][0]["stdout_file"]),
            "outer\n${B}-outer\n${P}x\n${D}${D}\n");
}

TEST(HostileTest, StepNamesAndRunIdsCannotLeaveTheRunDirectory) {
  WeftHome home;
  const std::string file = home.WriteFile("names.yaml", R"(
steps:
  - name: ../../../escape
    command: echo one
  - name: a/b/../../c
    command: echo two
  - name: ..
    command: echo three
  - name: /etc/passwd
    command: echo four
)");
  const std::string outside = (fs::path(home.path()).parent_path() /
                               ("weft-escape-" + fs::path(home.path()).filename().string()))
                                  .string();
  Result r = home.Run({"start", file, "--run-id", "../../../../" + outside});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(outside));

  const json run = StatusOf(home, "names");
  const fs::path runs = fs::path(home.path()) / "runs" / "names";
  ASSERT_EQ(run["steps"].size(), 4u);
  for (const auto& step : run["steps"]) {
    for (const char* key : {"stdout_file", "stderr_file"}) {
      const fs::path log = fs::weakly_canonical(step[key].get<std::string>());
      EXPECT_EQ(log.parent_path().parent_path(), fs::canonical(runs)) << log;
      EXPECT_TRUE(fs::is_regular_file(log)) << log;
    }
  }
  EXPECT_EQ(ReadFile(run["steps"][3]["stdout_file"]), "four\n");
  // Everything weft wrote is inside its home.
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(home.path()) / "runs")) {
    EXPECT_THAT(entry.path().string(), HasSubstr(home.path() + "/runs/names"));
  }
}

TEST(HostileTest, ParamsWithShellMetacharactersArePassedAsData) {
  WeftHome home;
  const std::string marker = home.path() + "/ran";
  const std::string code = "$(touch " + marker + ") `touch " + marker + "` ; touch " + marker +
                           " | x & y > z ' \" \\ ${HOME} $HOME *";
  const std::string file = home.WriteFile("meta.yaml", R"(
params:
  - CODE: none
env:
  - COPY: "[${CODE}]"
steps:
  - name: show
    command: printenv CODE COPY
  - name: in-command
    command: printf '%s\n' "$CODE" "${CODE}" "$COPY"
)");
  Result r = home.Run({"start", file, "--", "CODE=" + code});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json run = StatusOf(home, "meta");
  EXPECT_EQ(run["params"]["CODE"], code);
  EXPECT_EQ(ReadFile(run["steps"][0]["stdout_file"]), code + "\n[" + code + "]\n");
  EXPECT_EQ(ReadFile(run["steps"][1]["stdout_file"]), code + "\n" + code + "\n[" + code + "]\n");
  EXPECT_FALSE(fs::exists(marker));

  // The same through --params, where the quoting is weft's to read.
  r = home.Run({"start", file, "--params", "CODE='$(touch " + marker + ")'"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(StatusOf(home, "meta")["steps"][0]["stdout_file"]),
            "$(touch " + marker + ")\n[$(touch " + marker + ")]\n");
  EXPECT_FALSE(fs::exists(marker));
}

TEST(HostileTest, ParamBytesThatAreNotUtf8RunAndShowAsReplacementCharacters) {
  WeftHome home;
  const std::string file =
      home.WriteFile("bytes.yaml", "steps:\n  - name: show\n    command: printenv A\n");
  Result r = home.Run({"start", file, "--", "A=caf\xc3 \xff"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json run = StatusOf(home, "bytes");
  EXPECT_EQ(run["params"]["A"], "caf\uFFFD \uFFFD");
  EXPECT_EQ(ReadFile(run["steps"][0]["stdout_file"]), "caf\xc3 \xff\n");
}

TEST(HostileTest, DotenvLineWithoutEqualsIsAnErrorThatDoesNotEchoTheLine) {
  WeftHome home;
  home.WriteFile("bad.env", "A=1\n# fine\nghp_notAnAssignment\n");
  const std::string file =
      home.WriteFile("dotenv.yaml", "dotenv: bad.env\nsteps:\n  - name: x\n    command: 'true'\n");
  Result r = home.Run({"start", file});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("bad.env:3: expected NAME=VALUE"), HasSubstr("'='")));
  EXPECT_THAT(r.err, Not(HasSubstr("ghp_notAnAssignment")));
  EXPECT_EQ(home.Run({"history", "--json"}).out, "[]\n");
}

TEST(HostileTest, FullDiskIsAClearErrorAndTheRunIsFailedWhenSpaceReturns) {
  WeftHome home;
  store::TmpfsMount disk(home.path(), 4 << 20);
  if (!disk.ok()) GTEST_SKIP() << disk.error();
  // The first step fills the disk weft records on; what weft writes after it has no room.
  const std::string file = home.WriteFile("fill.yaml", R"(
steps:
  - name: fill
    command: cat /dev/zero > "$WEFT_HOME/filler"
  - name: after
    command: echo after
)");
  Result r = home.Run({"start", file});
  EXPECT_EQ(r.exit_code, 1);
  // The store's own log lines go wherever weft's logger writes (stdout today).
  EXPECT_THAT(r.out + r.err,
              HasSubstr("database or disk is full; free disk space on that filesystem"));
  EXPECT_THAT(r.err, AllOf(HasSubstr("of `fill` in " + home.path() + "/weft.db"),
                           HasSubstr("is incomplete")));

  // While the disk is full, status still answers with the run as recorded.
  Result full = home.Run({"status", "fill"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_THAT(full.out, HasSubstr("running"));
  EXPECT_THAT(full.out + full.err,
              HasSubstr("cannot mark runs of ended weft processes failed yet"));

  fs::remove(home.path() + "/filler");
  const json run = StatusOf(home, "fill");
  EXPECT_EQ(run["status"], "failed");
  EXPECT_THAT(run["error"].get<std::string>(), HasSubstr("ended without finishing the run"));
}

}  // namespace
}  // namespace weft::e2e
