// `weft start` end to end: real DAG files, real processes, checked through exit codes, output,
// step logs and `weft status --json`.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "e2e/weft_process.h"

namespace weft::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

std::string Source(const std::string& relative) {
  return std::string(std::getenv("WEFT_SOURCE_DIR")) + "/" + relative;
}

TEST(StartTest, QuickstartExampleSucceedsAndPassesOutputsDownstream) {
  WeftHome home;
  Result r = home.Run({"start", Source("examples/quickstart/quickstart.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("succeeded"));
  json run = StatusJson(home, "quickstart");
  EXPECT_EQ(run["status"], "succeeded");
  EXPECT_EQ(run["exit_code"], 0);
  ASSERT_EQ(run["steps"].size(), 5u);
  for (const auto& step : run["steps"]) {
    EXPECT_EQ(step["status"], "succeeded") << step.dump();
    EXPECT_EQ(step["exit_code"], 0);
  }
  // 200 rows, amounts (i*37)%101 summed over both batches.
  long total = 0;
  for (int i = 1; i <= 200; ++i) total += (i * 37) % 101;
  std::string summary = ReadFile(StepNamed(run, "aggregate-results")["stdout_file"]);
  EXPECT_EQ(summary, "region=eu-west rows=200 total=" + std::to_string(total) + "\n");
}

TEST(StartTest, ParamsOverrideByNameAfterDoubleDash) {
  WeftHome home;
  Result r = home.Run(
      {"start", Source("examples/quickstart/quickstart.yaml"), "--", "ROWS=10", "REGION=us"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json run = StatusJson(home, "quickstart");
  std::string summary = ReadFile(StepNamed(run, "aggregate-results")["stdout_file"]);
  EXPECT_THAT(summary, HasSubstr("region=us rows=10 "));
  EXPECT_EQ(run["params"]["ROWS"], "10");
}

TEST(StartTest, ParamsDefaultsUseEarlierParamsAndPositionalOverride) {
  WeftHome home;
  Result r = home.Run({"start", DagPath("params.yaml"), "--params", "NAME=weft"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json run = StatusJson(home, "params");
  EXPECT_EQ(ReadFile(StepNamed(run, "greet")["stdout_file"]), "hello weft ()\n");
}

TEST(StartTest, UnknownNamedParamIsACommandLineError) {
  WeftHome home;
  Result r = home.Run({"start", DagPath("params.yaml"), "--", "NOPE=1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("NOPE"));
  Result history = home.Run({"history", "--json"});
  EXPECT_EQ(json::parse(history.out).size(), 0u) << "nothing may run";
}

TEST(StartTest, FailingStepFailsTheRunAbortsDependentsAndShowsStderr) {
  WeftHome home;
  Result r = home.Run({"start", DagPath("failing.yaml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr("disk quota exceeded on /data"));
  json run = StatusJson(home, "failing");
  EXPECT_EQ(run["status"], "failed");
  EXPECT_EQ(run["exit_code"], 1);
  EXPECT_EQ(StepNamed(run, "setup")["status"], "succeeded");
  EXPECT_EQ(StepNamed(run, "broken")["status"], "failed");
  EXPECT_EQ(StepNamed(run, "broken")["exit_code"], 3);
  EXPECT_EQ(StepNamed(run, "downstream")["status"], "aborted");
  EXPECT_TRUE(StepNamed(run, "downstream")["exit_code"].is_null());
  EXPECT_EQ(StepNamed(run, "side")["status"], "succeeded");
  EXPECT_EQ(ReadFile(StepNamed(run, "broken")["stdout_file"]), "about to fail\n");
}

TEST(StartTest, DaguV1FileLoadsAndRuns) {
  WeftHome home;
  Result r = home.Run({"start", DagPath("dagu_v1.yaml")});
  // optional-cleanup fails but continueOn lets publish run: partially succeeded, exit 1.
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json run = StatusJson(home, "legacy-report");
  EXPECT_EQ(run["status"], "partially_succeeded");
  EXPECT_EQ(StepNamed(run, "optional-cleanup")["status"], "failed");
  EXPECT_EQ(StepNamed(run, "publish")["status"], "succeeded");
  EXPECT_EQ(ReadFile(StepNamed(run, "publish")["stdout_file"]),
            "publish extracted as report-2024-01-01.csv\n");
}

TEST(StartTest, DaguV2PlainListRunsAsAChain) {
  WeftHome home;
  Result r = home.Run({"start", DagPath("dagu_v2.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json run = StatusJson(home, "dagu_v2");  // name defaults to the file name
  ASSERT_EQ(run["steps"].size(), 3u);
  EXPECT_EQ(ReadFile(StepNamed(run, "rotate")["stdout_file"]),
            "keeping 3, newest compressing db-backup\n");
  // A chain: each step started after the previous one finished.
  EXPECT_GE(run["steps"][1]["started_at"].get<std::string>(),
            run["steps"][0]["finished_at"].get<std::string>());
  EXPECT_GE(run["steps"][2]["started_at"].get<std::string>(),
            run["steps"][1]["finished_at"].get<std::string>());
}

TEST(StartTest, EnvironmentPrecedenceProcessDagDotenvStep) {
  WeftHome home;
  Result r = home.Run({"start", DagPath("env.yaml")}, {"PROCESS_VAR=proc", "FROM_DAG=overridden"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json run = StatusJson(home, "env");
  EXPECT_EQ(ReadFile(StepNamed(run, "show")["stdout_file"]), "dag dotenv from-dotenv step proc\n");
}

TEST(StartTest, LoadErrorsExitTwoWithFileLineColumnAndHints) {
  WeftHome home;
  Result r = home.Run({"start", DagPath("bad_keys.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad_keys.yaml:6:5"));
  EXPECT_THAT(r.err, HasSubstr("command"));
  EXPECT_THAT(r.err, HasSubstr("bad_keys.yaml:7:5"));
  EXPECT_THAT(r.err, HasSubstr("depends"));
  Result history = home.Run({"history", "--json"});
  EXPECT_EQ(json::parse(history.out).size(), 0u);
}

TEST(StartTest, CycleIsALoadErrorNamingTheCycle) {
  WeftHome home;
  Result r = home.Run({"start", DagPath("cycle.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cycle"));
  EXPECT_THAT(r.err, HasSubstr("a"));
}

TEST(StartTest, MissingFileIsExitTwo) {
  WeftHome home;
  Result r = home.Run({"start", "/nonexistent/dag.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/dag.yaml"));
}

TEST(StartTest, DagIsFoundByNameInTheDagsDir) {
  WeftHome home;
  std::filesystem::create_directories(home.path() + "/dags");
  std::filesystem::copy_file(DagPath("params.yaml"), home.path() + "/dags/hello.yaml");
  Result r = home.Run({"start", "hello"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(StatusJson(home, "params")["status"], "succeeded");
}

TEST(StartTest, ExplicitRunIdIsUsed) {
  WeftHome home;
  Result r = home.Run({"start", "--run-id", "nightly-42", DagPath("params.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(StatusJson(home, "params", "nightly-42")["run_id"], "nightly-42");
}

TEST(StartTest, ConcurrentStartsOfTheSameAndDifferentDagsAreAllRecorded) {
  WeftHome home;
  std::vector<std::thread> threads;
  std::vector<Result> results(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      results[i] = home.Run({"start", DagPath(i % 2 ? "params.yaml" : "dagu_v2.yaml")});
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.err;
  json history = json::parse(home.Run({"history", "--json"}).out);
  ASSERT_EQ(history.size(), 6u);
  std::set<std::string> ids;
  for (const auto& run : history) {
    EXPECT_EQ(run["status"], "succeeded");
    ids.insert(run["run_id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 6u);
}

// A step inherits none of weft's own descriptors: not the store, the trace record, the event
// loop's, the shared /dev/null, nor the log files made ahead for the steps after it. Beyond
// 0-2 it holds only what weft's caller (this test, and whoever started it) left open, as with
// make: the same numbers, open on the same files, as here. (`; true` keeps the shell from
// exec-ing ls, so the listing is of the shell the step started.)
TEST(StartTest, StepsInheritNoneOfWeftsDescriptors) {
  WeftHome home;
  const std::string dag = home.WriteFile("fds.yaml", R"(max_active_steps: 1
steps:
  - name: a
    command: ls -l /proc/$$/fd; true
  - name: b
    command: ls -l /proc/$$/fd; true
  - name: c
    command: ls -l /proc/$$/fd; true
)");
  Result r = home.Run({"start", dag});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json run = StatusJson(home, "fds");
  for (const char* name : {"a", "b", "c"}) {
    std::istringstream listing(ReadFile(StepNamed(run, name)["stdout_file"]));
    int descriptors = 0;
    for (std::string line; std::getline(listing, line);) {
      const std::size_t arrow = line.find(" -> ");
      if (arrow == std::string::npos) continue;
      ++descriptors;
      const std::size_t space = line.rfind(' ', arrow - 1);
      const std::string fd = line.substr(space + 1, arrow - space - 1);
      const std::string target = line.substr(arrow + 4);
      if (fd == "0") {
        EXPECT_EQ(target, "/dev/null") << name;
      } else if (fd != "1" && fd != "2") {
        std::error_code ec;
        EXPECT_EQ(std::filesystem::read_symlink("/proc/self/fd/" + fd, ec).string(), target)
            << name << " has a descriptor its caller does not: " << line;
      }
    }
    EXPECT_GE(descriptors, 3) << name << " listed no descriptors";
  }
}

TEST(StartTest, QuietPrintsOnlyPlainLines) {
  WeftHome home;
  Result r = home.Run({"start", "--quiet", DagPath("params.yaml")});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, Not(HasSubstr("\033[")));
}

}  // namespace
}  // namespace weft::e2e
