// Nested DAGs across processes (§4, §5.3, §5.4), end to end: every child is a real `weft start`
// process; results, statuses, store links, stop and the span tree are checked as a user sees
// them: `weft status`, `ps`, and the independent OTLP receiver.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "e2e/weft_process.h"
#include "trace/otlp/receiver_fixture.h"

namespace weft::e2e {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;
using trace::otlp::testing::OtlpReceiver;

TEST(NestedTest, SeedExampleRunsTheChildAndOutputsFlowBack) {
  WeftHome home;
  home.WriteFile("workflows/child-workflow.yaml", R"(name: child-workflow
params:
  - PARAM1: default
steps:
  - name: greet
    command: echo "got ${PARAM1}"
    output: GREETING
)");
  std::string parent = home.WriteFile("parent.yaml", R"(name: parent
steps:
  - name: call-child
    run: workflows/child-workflow.yaml
    params: "PARAM1=value1"
    output: SUB
  - name: use-it
    depends: call-child
    command: echo "child said ${SUB.outputs.GREETING}"
)");
  Result r = home.Run({"start", "--quiet", parent});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json run = StatusJson(home, "parent");
  EXPECT_EQ(run["status"], "succeeded");
  json call = StepNamed(run, "call-child");
  ASSERT_EQ(call["children"].size(), 1u) << run.dump();
  EXPECT_EQ(call["children"][0]["name"], "child-workflow");
  EXPECT_EQ(call["children"][0]["status"], "succeeded");
  std::string child_id = call["children"][0]["run_id"];
  json result = json::parse(ReadFile(call["stdout_file"]));
  EXPECT_EQ(result["name"], "child-workflow");
  EXPECT_EQ(result["run_id"], child_id);
  EXPECT_EQ(result["status"], "succeeded");
  EXPECT_EQ(result["params"]["PARAM1"], "value1");
  EXPECT_EQ(result["outputs"]["GREETING"], "got value1");
  EXPECT_EQ(ReadFile(StepNamed(run, "use-it")["stdout_file"]), "child said got value1\n");

  json child = StatusJson(home, "child-workflow", child_id);
  EXPECT_EQ(child["parent"]["name"], "parent");
  EXPECT_EQ(child["parent"]["run_id"], run["run_id"]);
  EXPECT_EQ(child["root"]["run_id"], run["run_id"]);
  Result text = home.Run({"status", "child-workflow", "--run-id", child_id});
  EXPECT_THAT(text.out, HasSubstr("parent: parent run " + run["run_id"].get<std::string>()));
}

TEST(NestedTest, MissingChildIsALoadErrorOfTheParent) {
  WeftHome home;
  std::string parent = home.WriteFile("parent.yaml", R"(name: parent
steps:
  - name: first
    command: echo hi
  - name: call
    run: nowhere
)");
  Result r = home.Run({"start", parent});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(parent + ":5:"));
  EXPECT_THAT(r.err, HasSubstr("step `call` calls DAG `nowhere`"));
  EXPECT_EQ(home.Run({"status", "parent"}).exit_code, 1);  // nothing ran
}

TEST(NestedTest, ThreeLevelsWithAParallelFanOutLocalDagsAndFailures) {
  WeftHome home;
  // top -> mid (a local DAG of the same file) -> leaf, three times in parallel; item `bad`
  // fails.
  std::string top = home.WriteFile("top.yaml", R"(name: top
steps:
  - name: fan
    run: mid
    params: "REGIONS=${REGIONS}"
    output: MID
  - name: never
    depends: fan
    command: echo never
---
name: mid
params:
  - REGIONS: ""
steps:
  - name: each
    run: leaf
    parallel:
      items: ${REGIONS}
      max_concurrent: 2
    params: "REGION=${ITEM.name}"
    output: RESULTS
)");
  home.WriteFile("leaf.yaml", R"(name: leaf
params:
  - REGION: none
steps:
  - name: work
    command: test "${REGION}" != bad && echo "done ${REGION}"
    output: DONE
)");
  Result r = home.Run(
      {"start", "--quiet", top, "--", R"(REGIONS=[{"name":"eu"},{"name":"us"},{"name":"bad"}])"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json run = StatusJson(home, "top");
  EXPECT_EQ(run["status"], "failed");
  EXPECT_EQ(StepNamed(run, "fan")["status"], "failed");
  EXPECT_EQ(StepNamed(run, "never")["status"], "aborted");
  json fan_children = StepNamed(run, "fan")["children"];
  ASSERT_EQ(fan_children.size(), 1u);
  EXPECT_EQ(fan_children[0]["status"], "failed");

  json mid = StatusJson(home, "mid", fan_children[0]["run_id"]);
  json each = StepNamed(mid, "each");
  EXPECT_EQ(each["status"], "failed");
  ASSERT_EQ(each["children"].size(), 3u);
  std::map<std::string, std::string> by_status;
  for (const json& leaf_run : each["children"]) {
    json leaf = StatusJson(home, "leaf", leaf_run["run_id"]);
    EXPECT_EQ(leaf["root"]["run_id"], run["run_id"]);
    EXPECT_EQ(leaf["parent"]["name"], "mid");
    std::string region = leaf["params"]["REGION"];
    by_status[region] = leaf["status"];
  }
  EXPECT_EQ(by_status, (std::map<std::string, std::string>{
                           {"bad", "failed"}, {"eu", "succeeded"}, {"us", "succeeded"}}));
  // Every child's result line is in the fan-out step's log.
  std::istringstream lines(ReadFile(each["stdout_file"]));
  int results = 0;
  for (std::string line; std::getline(lines, line);) {
    json result = json::parse(line);
    EXPECT_EQ(result["name"], "leaf");
    ++results;
  }
  EXPECT_EQ(results, 3);
}

TEST(NestedTest, StoppingTheParentStopsEveryChildTree) {
  WeftHome home;
  std::string fifo = home.WriteFile("ready", "");
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string top = home.WriteFile("top.yaml", R"(name: top
steps:
  - name: call
    run: mid
---
name: mid
steps:
  - name: call
    run: leaf
---
name: leaf
steps:
  - name: work
    command: sleep 300 & echo $$ > )" + fifo + R"(; wait
)");
  RunningWeft weft = home.Start({"start", "--quiet", top});
  std::string pgid;
  std::ifstream(fifo) >> pgid;
  ASSERT_FALSE(pgid.empty());
  Result stop = home.Run({"stop", "top"});
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_EQ(weft.Wait().exit_code, 1);
  std::string ps = home.WriteFile("ps.out", "");
  ASSERT_EQ(std::system(("ps -e -o pgid=,stat=,args= > " + ps).c_str()), 0);
  std::istringstream rows(ReadFile(ps));
  for (std::string row; std::getline(rows, row);) {
    std::istringstream fields(row);
    std::string group, stat;
    fields >> group >> stat;
    if (stat[0] == 'Z' || row.find("ps -e") != std::string::npos) continue;
    EXPECT_NE(group, pgid) << row;
    EXPECT_THAT(row, ::testing::Not(HasSubstr(home.path()))) << "left running: " << row;
  }
  json run = StatusJson(home, "top");
  EXPECT_EQ(run["status"], "aborted");
  for (const char* name : {"mid", "leaf"}) {
    EXPECT_EQ(StatusJson(home, name)["status"], "aborted") << name;
  }
}

TEST(NestedTest, OneTraceFromTopToBottomWithTheParentsOtelSettings) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  // Only the top DAG has an otel block: the children export with its settings.
  std::string top = home.WriteFile("top.yaml", R"(name: top
otel:
  enabled: true
  endpoint: "127.0.0.1:)" + std::to_string(receiver.grpc_port()) +
                                                   R"("
  insecure: true
  resource:
    service.name: nested-test
steps:
  - name: call-mid
    run: mid
---
name: mid
steps:
  - name: fan
    run: leaf
    parallel:
      items: [a, b]
    params: "X=${ITEM}"
)");
  home.WriteFile("leaf.yaml", R"(name: leaf
params:
  - X: none
steps:
  - name: work
    command: echo ${X}
)");
  Result r = home.Run({"start", "--quiet", top});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::vector<json> spans;
  for (const json& request : receiver.Requests()) {
    for (const json& rs : request["resourceSpans"]) {
      for (const json& ss : rs["scopeSpans"]) {
        for (const json& span : ss["spans"]) spans.push_back(span);
      }
    }
  }
  // top: root + call-mid; mid: root + fan; two leaves: root + work each.
  ASSERT_EQ(spans.size(), 8u);
  std::map<std::string, json> by_id;
  for (const json& span : spans) by_id[span["spanId"]] = span;
  auto parent_name = [&](const json& span) -> std::string {
    auto it = by_id.find(span["parentSpanId"]);
    return it == by_id.end() ? "" : it->second["name"].get<std::string>();
  };
  std::string trace_id = spans[0]["traceId"];
  std::map<std::string, int> parents;
  for (const json& span : spans) {
    EXPECT_EQ(span["traceId"], trace_id) << span["name"];
    parents[span["name"].get<std::string>() + " <- " + parent_name(span)]++;
  }
  EXPECT_EQ(parents, (std::map<std::string, int>{{"DAG: top <- ", 1},
                                                 {"Step: call-mid <- DAG: top", 1},
                                                 {"DAG: mid <- Step: call-mid", 1},
                                                 {"Step: fan <- DAG: mid", 1},
                                                 {"DAG: leaf <- Step: fan", 2},
                                                 {"Step: work <- DAG: leaf", 2}}));
  json top_run = StatusJson(home, "top");
  for (const json& span : spans) {
    if (span["name"] != "DAG: leaf") continue;
    EXPECT_EQ(span["attributes"]["dag.parent_name"]["value"], "mid");
    EXPECT_EQ(span["attributes"]["dag.root_run_id"]["value"], top_run["run_id"]);
  }
  // weft trace of the root run draws the whole tree from the local records.
  Result waterfall = home.Run({"trace", "top"});
  EXPECT_EQ(waterfall.exit_code, 0) << waterfall.err;
  EXPECT_THAT(waterfall.out, HasSubstr("DAG: leaf"));
  EXPECT_THAT(waterfall.out, HasSubstr("Step: work"));
}

}  // namespace
}  // namespace weft::e2e
