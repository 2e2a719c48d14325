#include "store/run_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weft::store {
namespace {

using engine::RunRef;
using engine::Status;
using nlohmann::ordered_json;
using ::testing::ElementsAre;

constexpr std::int64_t kMay1 = 1714555800250000999;  // 2024-05-01T09:30:00.250000999Z

std::vector<std::string> Keys(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

RunRecord FinishedChildRun() {
  RunRecord run;
  run.dag_name = "child";
  run.run_id = "c-1";
  run.status = Status::kFailed;
  run.started_at_ns = kMay1;
  run.finished_at_ns = kMay1 + 1'000'000'000;
  run.exit_code = 1;
  run.params_json = R"({"A":"1","B":"x y"})";
  run.parent = RunRef{"parent", "p-1"};
  run.root = RunRef{"root", "r-1"};
  run.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  run.error = "step build failed";
  return run;
}

TEST(Rfc3339Test, FormatsUtcWithMicroseconds) {
  EXPECT_EQ(Rfc3339(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(Rfc3339(kMay1), "2024-05-01T09:30:00.250000Z");
  EXPECT_EQ(Rfc3339(946684799999999999), "1999-12-31T23:59:59.999999Z");
  EXPECT_EQ(Rfc3339(1709164800000000000), "2024-02-29T00:00:00.000000Z");
}

TEST(HistoryEntryJsonTest, HasExactlyTheSpecFieldsWithTheirTypes) {
  const ordered_json json = HistoryEntryJson(FinishedChildRun());
  EXPECT_THAT(Keys(json),
              ElementsAre("name", "run_id", "status", "started_at", "finished_at", "exit_code",
                          "params", "trace_id", "parent", "root", "error"));
  EXPECT_EQ(json["name"], "child");
  EXPECT_EQ(json["run_id"], "c-1");
  EXPECT_EQ(json["status"], "failed");
  EXPECT_EQ(json["started_at"], "2024-05-01T09:30:00.250000Z");
  EXPECT_EQ(json["finished_at"], "2024-05-01T09:30:01.250000Z");
  ASSERT_TRUE(json["exit_code"].is_number_integer());
  EXPECT_EQ(json["exit_code"], 1);
  ASSERT_TRUE(json["params"].is_object());
  EXPECT_EQ(json["params"], ordered_json::parse(R"({"A":"1","B":"x y"})"));
  EXPECT_EQ(json["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(json["parent"], ordered_json::parse(R"({"name":"parent","run_id":"p-1"})"));
  EXPECT_EQ(json["root"], ordered_json::parse(R"({"name":"root","run_id":"r-1"})"));
  EXPECT_EQ(json["error"], "step build failed");
}

TEST(HistoryEntryJsonTest, AbsentValuesAreNull) {
  RunRecord run;
  run.dag_name = "d";
  run.run_id = "r";
  run.status = Status::kQueued;
  const ordered_json json = HistoryEntryJson(run);
  EXPECT_TRUE(json["started_at"].is_null());
  EXPECT_TRUE(json["finished_at"].is_null());
  EXPECT_TRUE(json["exit_code"].is_null());
  EXPECT_TRUE(json["trace_id"].is_null());
  EXPECT_TRUE(json["parent"].is_null());
  EXPECT_TRUE(json["root"].is_null());
  EXPECT_EQ(json["params"], ordered_json::object());
  EXPECT_EQ(json["error"], "");
  EXPECT_EQ(json["status"], "queued");
}

TEST(HistoryEntryJsonTest, UnreadableParamsAreNull) {
  RunRecord run = FinishedChildRun();
  run.params_json = "[not an object";
  EXPECT_TRUE(HistoryEntryJson(run)["params"].is_null());
}

TEST(HistoryJsonTest, IsAListOfRunsInTheGivenOrderWithoutSteps) {
  RunRecord newer = FinishedChildRun();
  newer.run_id = "newer";
  RunRecord older = FinishedChildRun();
  older.run_id = "older";
  const ordered_json json = HistoryJson({newer, older});
  ASSERT_TRUE(json.is_array());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["run_id"], "newer");
  EXPECT_EQ(json[1]["run_id"], "older");
  EXPECT_FALSE(json[0].contains("steps"));
  EXPECT_EQ(HistoryJson({}), ordered_json::array());
}

TEST(StatusJsonTest, IsTheHistoryEntryPlusStepsWithTheirChildren) {
  RunRecord parent = FinishedChildRun();
  StepRecord fan;
  fan.index = 0;
  fan.name = "fan";
  fan.status = Status::kSucceeded;
  fan.exit_code = 0;
  fan.started_at_ns = kMay1;
  fan.finished_at_ns = kMay1 + 2'000'000;
  fan.retry_count = 2;
  fan.stdout_file = "/logs/fan.out";
  fan.stderr_file = "/logs/fan.err";
  StepRecord never;
  never.index = 1;
  never.name = "never";
  never.status = Status::kSkipped;
  never.error = "precondition not met";

  std::vector<RunRecord> children;
  for (const auto& [id, step, status] :
       {std::tuple{"k1", "fan", Status::kSucceeded}, std::tuple{"k2", "fan", Status::kFailed},
        std::tuple{"k3", "", Status::kSucceeded}}) {
    RunRecord child;
    child.dag_name = "leaf";
    child.run_id = id;
    child.parent_step = step;
    child.status = status;
    children.push_back(child);
  }

  const ordered_json json = StatusJson(parent, {fan, never}, children);
  EXPECT_THAT(Keys(json),
              ElementsAre("name", "run_id", "status", "started_at", "finished_at", "exit_code",
                          "params", "trace_id", "parent", "root", "error", "steps"));
  ordered_json without_steps = json;
  without_steps.erase("steps");
  EXPECT_EQ(without_steps, HistoryEntryJson(parent));

  ASSERT_TRUE(json["steps"].is_array());
  ASSERT_EQ(json["steps"].size(), 2u);
  const ordered_json& first = json["steps"][0];
  EXPECT_THAT(Keys(first),
              ElementsAre("name", "status", "exit_code", "started_at", "finished_at", "retry_count",
                          "error", "stdout_file", "stderr_file", "children"));
  EXPECT_EQ(first["name"], "fan");
  EXPECT_EQ(first["status"], "succeeded");
  ASSERT_TRUE(first["exit_code"].is_number_integer());
  EXPECT_EQ(first["exit_code"], 0);
  EXPECT_EQ(first["started_at"], "2024-05-01T09:30:00.250000Z");
  EXPECT_EQ(first["finished_at"], "2024-05-01T09:30:00.252000Z");
  ASSERT_TRUE(first["retry_count"].is_number_integer());
  EXPECT_EQ(first["retry_count"], 2);
  EXPECT_EQ(first["error"], "");
  EXPECT_EQ(first["stdout_file"], "/logs/fan.out");
  EXPECT_EQ(first["stderr_file"], "/logs/fan.err");
  EXPECT_EQ(first["children"], ordered_json::parse(R"([
      {"name": "leaf", "run_id": "k1", "status": "succeeded"},
      {"name": "leaf", "run_id": "k2", "status": "failed"}])"));

  const ordered_json& second = json["steps"][1];
  EXPECT_EQ(second["status"], "skipped");
  EXPECT_TRUE(second["exit_code"].is_null());
  EXPECT_TRUE(second["started_at"].is_null());
  EXPECT_TRUE(second["finished_at"].is_null());
  EXPECT_EQ(second["error"], "precondition not met");
  EXPECT_EQ(second["children"], ordered_json::array());
}

TEST(StatusJsonTest, RunWithoutStepsHasAnEmptyList) {
  EXPECT_EQ(StatusJson(FinishedChildRun(), {}, {})["steps"], ordered_json::array());
}

}  // namespace
}  // namespace weft::store
