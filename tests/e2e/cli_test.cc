// The other verbs end to end: status, history, logs, validate, dry, version, help.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string_view>

#include "e2e/weft_process.h"

namespace weft::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

TEST(CliTest, StatusShowsStepsDurationsAndExitCodes) {
  WeftHome home;
  ASSERT_EQ(home.Run({"start", DagPath("failing.yaml")}).exit_code, 1);
  Result r = home.Run({"status", "failing"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("failed"));
  EXPECT_THAT(r.out, HasSubstr("broken"));
  EXPECT_THAT(r.out, HasSubstr("exit 3"));
  EXPECT_THAT(r.out, HasSubstr("dependency `broken` did not succeed"));
}

TEST(CliTest, StatusJsonHasTheContractFields) {
  WeftHome home;
  ASSERT_EQ(home.Run({"start", DagPath("failing.yaml")}).exit_code, 1);
  json run = json::parse(home.Run({"status", "failing", "--json"}).out);
  for (const char* key : {"name", "run_id", "status", "started_at", "finished_at", "exit_code",
                          "params", "trace_id", "parent", "root", "error", "steps"}) {
    EXPECT_TRUE(run.contains(key)) << key;
  }
  EXPECT_TRUE(run["parent"].is_null());
  EXPECT_TRUE(run["root"].is_null());
  EXPECT_TRUE(std::regex_match(run["started_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")))
      << run["started_at"];
  ASSERT_EQ(run["steps"].size(), 4u);
  for (const auto& step : run["steps"]) {
    for (const char* key : {"name", "status", "exit_code", "started_at", "finished_at",
                            "retry_count", "error", "stdout_file", "stderr_file", "children"}) {
      EXPECT_TRUE(step.contains(key)) << key << " in " << step.dump();
    }
  }
  EXPECT_EQ(run["steps"][0]["name"], "setup");  // DAG order
  EXPECT_EQ(run["steps"][3]["name"], "side");
}

TEST(CliTest, StatusOfUnknownDagIsAnError) {
  WeftHome home;
  Result r = home.Run({"status", "nothing-here"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("nothing-here"));
}

TEST(CliTest, HistoryListsNewestFirstAndFilters) {
  WeftHome home;
  ASSERT_EQ(home.Run({"start", DagPath("params.yaml")}).exit_code, 0);
  ASSERT_EQ(home.Run({"start", DagPath("failing.yaml")}).exit_code, 1);
  ASSERT_EQ(home.Run({"start", DagPath("params.yaml"), "--", "NAME=again"}).exit_code, 0);
  json all = json::parse(home.Run({"history", "--json"}).out);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["name"], "params");
  EXPECT_EQ(all[0]["params"]["NAME"], "again");
  EXPECT_EQ(all[1]["name"], "failing");
  EXPECT_FALSE(all[0].contains("steps"));
  json failed = json::parse(home.Run({"history", "--status", "failed", "--json"}).out);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["name"], "failing");
  json one = json::parse(home.Run({"history", "params", "--limit", "1", "--json"}).out);
  ASSERT_EQ(one.size(), 1u);
  Result text = home.Run({"history"});
  EXPECT_THAT(text.out, HasSubstr("failing"));
  EXPECT_THAT(text.out, HasSubstr("succeeded"));
}

TEST(CliTest, LogsPrintsAStepsOutput) {
  WeftHome home;
  ASSERT_EQ(home.Run({"start", DagPath("failing.yaml")}).exit_code, 1);
  Result r = home.Run({"logs", "failing", "--step", "broken"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("about to fail"));
  EXPECT_THAT(r.out, HasSubstr("disk quota exceeded"));
  Result all = home.Run({"logs", "failing"});
  EXPECT_THAT(all.out, HasSubstr("setting up"));
  EXPECT_THAT(all.out, HasSubstr("side done"));
  Result missing = home.Run({"logs", "failing", "--step", "nope"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("setup"));  // lists the steps there are
}

TEST(CliTest, ValidateReportsEveryFile) {
  WeftHome home;
  Result good = home.Run({"validate", DagPath("dagu_v1.yaml"), DagPath("dagu_v2.yaml")});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  Result bad = home.Run(
      {"validate", DagPath("dagu_v1.yaml"), DagPath("bad_keys.yaml"), DagPath("cycle.yaml")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("bad_keys.yaml:6:5"));
  EXPECT_THAT(bad.err, HasSubstr("cycle.yaml"));
}

TEST(CliTest, DryShowsThePlanAndRunsNothing) {
  WeftHome home;
  Result r = home.Run({"dry", DagPath("failing.yaml")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("broken"));
  EXPECT_THAT(r.out, HasSubstr("setup"));
  json history = json::parse(home.Run({"history", "--json"}).out);
  EXPECT_EQ(history.size(), 0u);
}

TEST(CliTest, VersionAndHelpWithExamples) {
  WeftHome home;
  Result v = home.Run({"version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_THAT(v.out, ::testing::StartsWith("weft "));
  Result help = home.Run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("Examples"));
  for (const char* verb : {"start", "dry", "validate", "status", "history", "logs"}) {
    Result h = home.Run({verb, "--help"});
    EXPECT_EQ(h.exit_code, 0) << verb;
    EXPECT_THAT(h.out, HasSubstr("weft " + std::string(verb))) << verb;
  }
}

TEST(CliTest, UnknownVerbIsExitTwo) {
  WeftHome home;
  Result r = home.Run({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("terminate")));
}

// Start-up cost (SPEC §8, docs/benchmarks.md): shared libraries are loaded and relocated before
// main, by every weft process, nested runs included. gRPC, protobuf and abseil are linked in
// statically; OpenSSL too; libcurl and its ~30 dependencies are opened only when an HTTP export
// needs them.
// Started with stdin, stdout and stderr closed, weft still gives a step /dev/null for stdin and
// its own log files: no descriptor weft opens can be taken for one of the three.
TEST(CliTest, StepsGetTheirOwnStreamsWhenWeftsAreClosed) {
  WeftHome home;
  const std::string dag =
      home.WriteFile("closed.yaml",
                     "steps:\n  - name: streams\n    command: sh -c 'cat; echo out; echo err >&2'\n"
                     "  - name: next\n    command: echo next\n    depends: [streams]\n");
  const std::string command =
      "WEFT_HOME=" + home.path() + " " + WEFT_BIN_PATH + " start " + dag + " <&- >&- 2>&-";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const nlohmann::json run = StatusJson(home, "closed");
  EXPECT_EQ(ReadFile(StepNamed(run, "streams")["stdout_file"]), "out\n");
  EXPECT_EQ(ReadFile(StepNamed(run, "streams")["stderr_file"]), "err\n");
  EXPECT_EQ(ReadFile(StepNamed(run, "next")["stdout_file"]), "next\n");
}

TEST(CliTest, TheBinaryLoadsNoExporterLibraryAtStartUp) {
  std::string command = std::string("readelf -d ") + WEFT_BIN_PATH;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  ASSERT_NE(pipe, nullptr);
  std::string needed;
  char line[512];
  while (std::fgets(line, sizeof line, pipe.get())) {
    if (std::string_view(line).find("(NEEDED)") != std::string_view::npos) needed += line;
  }
  ASSERT_THAT(needed, HasSubstr("libc.so"));
  for (const char* library : {"libcurl", "libgrpc", "libgpr", "libprotobuf", "libabsl", "libupb",
                              "libssl", "libcrypto"}) {
    EXPECT_THAT(needed, Not(HasSubstr(library))) << needed;
  }
}

}  // namespace
}  // namespace weft::e2e
