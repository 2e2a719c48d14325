// Tracing end to end: the real `weft start` exporting to the independent OTLP receiver
// (tests/otlp-receiver, the OpenTelemetry project's decoders), checked span by span against
// what `weft status --json` and the step processes saw.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "e2e/weft_process.h"
#include "trace/otlp/receiver_fixture.h"

namespace weft::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using trace::otlp::testing::OtlpReceiver;
using trace::otlp::testing::UnusedPort;

constexpr int kKindInternal = 1;
constexpr int kKindServer = 2;
constexpr int kStatusError = 2;

// Three steps, the middle one failing with exit 3 but allowed to continue; the last echoes its
// TRACEPARENT. `otel` is the DAG's otel block body (already indented by four spaces).
std::string ThreeStepDag(const std::string& name, const std::string& otel) {
  return "name: " + name +
         "\n"
         "dotenv: .env\n"
         "otel:\n"
         "    enabled: true\n" +
         otel +
         "steps:\n"
         "  - name: first\n"
         "    command: echo one\n"
         "  - name: broken\n"
         "    depends: first\n"
         "    continue_on:\n"
         "      failure: true\n"
         "    command: exit 3\n"
         "  - name: show-parent\n"
         "    depends: broken\n"
         "    command: printenv TRACEPARENT\n";
}

// Every span received, each with the resource of its request under "resource".
std::vector<json> ReceivedSpans(const OtlpReceiver& receiver) {
  std::vector<json> spans;
  for (const json& request : receiver.Requests()) {
    for (const json& rs : request["resourceSpans"]) {
      for (const json& ss : rs["scopeSpans"]) {
        for (json span : ss["spans"]) {
          span["resource"] = rs["resource"];
          spans.push_back(std::move(span));
        }
      }
    }
  }
  return spans;
}

const json* SpanNamed(const std::vector<json>& spans, const std::string& name) {
  for (const json& span : spans) {
    if (span["name"] == name) return &span;
  }
  ADD_FAILURE() << "no span " << name;
  return nullptr;
}

json Attr(const json& span, const std::string& key) {
  if (!span["attributes"].contains(key)) {
    ADD_FAILURE() << "span " << span["name"] << " has no attribute " << key;
    return json::object();
  }
  return span["attributes"][key];
}

// A TRACEPARENT's fields: version, trace id, parent id, flags.
std::vector<std::string> TraceparentFields(std::string value) {
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (std::size_t dash; (dash = value.find('-', start)) != std::string::npos; start = dash + 1) {
    fields.push_back(value.substr(start, dash - start));
  }
  fields.push_back(value.substr(start));
  return fields;
}

struct Transport {
  std::string label;
  // The otel block lines naming the receiver's endpoint for this transport.
  std::string (*otel)(const OtlpReceiver&);
  std::string transport;  // the receiver's name for it
};

std::string GrpcOtel(const OtlpReceiver& r) {
  return "    endpoint: \"127.0.0.1:" + std::to_string(r.grpc_port()) +
         "\"\n"
         "    insecure: true\n";
}
std::string HttpProtobufOtel(const OtlpReceiver& r) {
  return "    endpoint: \"http://127.0.0.1:" + std::to_string(r.http_port()) + "/v1/traces\"\n";
}
std::string HttpJsonOtel(const OtlpReceiver& r) {
  return HttpProtobufOtel(r) + "    protocol: http/json\n";
}

class TracingExportTest : public ::testing::TestWithParam<Transport> {};

TEST_P(TracingExportTest, OneTraceWithRootAndStepSpansAndTheirAttributes) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  home.WriteFile("dags/.env", "OTEL_AUTH_TOKEN=s3cret-token\n");
  std::string dag = home.WriteFile(
      "dags/traced.yaml",
      ThreeStepDag("traced", GetParam().otel(receiver) +
                                 "    headers:\n"
                                 "      Authorization: \"Bearer ${OTEL_AUTH_TOKEN}\"\n"));
  Result r = home.Run({"start", dag});
  json run = StatusJson(home, "traced");
  // The failing step is allowed to continue: the run ends partially succeeded, not aborted.
  EXPECT_EQ(run["status"], "partially_succeeded");
  EXPECT_EQ(r.exit_code, run["exit_code"]);
  std::string run_id = run["run_id"];
  ASSERT_FALSE(run_id.empty());

  std::vector<json> spans = ReceivedSpans(receiver);
  ASSERT_EQ(spans.size(), 4u) << r.err;
  const json* root = SpanNamed(spans, "DAG: traced");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ((*root)["kind"], kKindServer);
  EXPECT_EQ((*root)["parentSpanId"], "");
  EXPECT_EQ(Attr(*root, "dag.name")["value"], "traced");
  EXPECT_EQ(Attr(*root, "dag.run_id")["value"], run_id);
  EXPECT_EQ(Attr(*root, "dag.status")["value"], run["status"]);
  EXPECT_EQ(Attr(*root, "cicd.pipeline.name")["value"], "traced");
  EXPECT_EQ(Attr(*root, "cicd.pipeline.run.id")["value"], run_id);
  EXPECT_EQ(Attr(*root, "cicd.pipeline.action.name")["value"], "RUN");
  EXPECT_EQ(Attr(*root, "cicd.pipeline.result")["value"], "failure");
  EXPECT_EQ((*root)["resource"]["service.name"]["value"], "weft-traced");

  for (const std::string step : {"first", "broken", "show-parent"}) {
    const json* span = SpanNamed(spans, "Step: " + step);
    ASSERT_NE(span, nullptr);
    EXPECT_EQ((*span)["kind"], kKindInternal);
    EXPECT_EQ((*span)["traceId"], (*root)["traceId"]);
    EXPECT_EQ((*span)["parentSpanId"], (*root)["spanId"]);
    EXPECT_EQ(Attr(*span, "step.name")["value"], step);
    EXPECT_EQ(Attr(*span, "cicd.pipeline.task.name")["value"], step);
    EXPECT_EQ(Attr(*span, "step.exit_code")["type"], "int");
  }
  const json* first = SpanNamed(spans, "Step: first");
  const json* broken = SpanNamed(spans, "Step: broken");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(broken, nullptr);
  EXPECT_EQ(Attr(*first, "step.exit_code")["value"], "0");
  EXPECT_EQ(Attr(*first, "step.status")["value"], "succeeded");
  EXPECT_EQ(Attr(*first, "cicd.pipeline.task.run.result")["value"], "success");
  EXPECT_NE((*first)["status"]["code"], kStatusError);
  EXPECT_EQ(Attr(*broken, "step.exit_code")["value"], "3");
  EXPECT_EQ(Attr(*broken, "step.status")["value"], "failed");
  EXPECT_EQ(Attr(*broken, "cicd.pipeline.task.run.result")["value"], "failure");
  EXPECT_EQ((*broken)["status"]["code"], kStatusError);
  EXPECT_EQ((*broken)["status"]["message"], "exit code 3");

  for (const json& request : receiver.Requests()) {
    EXPECT_EQ(request["transport"], GetParam().transport);
    // gRPC metadata keys must be lower-case on the wire; Node lower-cases HTTP header names.
    const json& headers = request["headers"];
    ASSERT_TRUE(headers.contains("authorization")) << headers.dump();
    EXPECT_EQ(headers["authorization"], "Bearer s3cret-token");
  }
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("s3cret-token")));
}

TEST_P(TracingExportTest, EveryStepGetsTheTraceparentOfItsOwnSpan) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  home.WriteFile("dags/.env", "");
  std::string dag =
      home.WriteFile("dags/parent.yaml", ThreeStepDag("parent", GetParam().otel(receiver)));
  home.Run({"start", dag});
  json run = StatusJson(home, "parent");
  std::string echoed;
  for (const json& step : run["steps"]) {
    if (step["name"] == "show-parent") echoed = ReadFile(step["stdout_file"]);
  }
  std::vector<std::string> fields = TraceparentFields(echoed);
  ASSERT_EQ(fields.size(), 4u) << echoed;
  EXPECT_EQ(fields[0], "00");
  EXPECT_EQ(fields[3], "01");

  std::vector<json> spans = ReceivedSpans(receiver);
  const json* step = SpanNamed(spans, "Step: show-parent");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(fields[1], (*step)["traceId"]);
  EXPECT_EQ(fields[2], (*step)["spanId"]);
}

TEST_P(TracingExportTest, ResourceServiceNameIsOverridable) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  home.WriteFile("dags/.env", "");
  std::string dag = home.WriteFile(
      "dags/named.yaml",
      ThreeStepDag("named", GetParam().otel(receiver) + "    resource:\n"
                                                        "      service.name: \"dagu-${DAG_NAME}\"\n"
                                                        "      team: data-engineering\n"));
  home.Run({"start", dag});
  std::vector<json> spans = ReceivedSpans(receiver);
  ASSERT_FALSE(spans.empty());
  for (const json& span : spans) {
    EXPECT_EQ(span["resource"]["service.name"]["value"], "dagu-named");
    EXPECT_EQ(span["resource"]["team"]["value"], "data-engineering");
  }
}

// A two-step DAG that succeeds; `endpoint_lines` name where it exports.
std::string GoodDag(const std::string& name, const std::string& endpoint_lines) {
  return "name: " + name +
         "\n"
         "otel:\n"
         "    enabled: true\n" +
         endpoint_lines +
         "steps:\n"
         "  - name: one\n"
         "    command: echo one\n"
         "  - name: two\n"
         "    depends: one\n"
         "    command: echo two\n";
}

constexpr char kInboundTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kInboundParent[] = "00f067aa0ba902b7";

TEST(TracingPropagationTest, InboundTraceparentParentsTheRootSpan) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  std::string dag = home.WriteFile("dags/child.yaml", GoodDag("child", GrpcOtel(receiver)));
  Result r = home.Run({"start", dag}, {"TRACEPARENT=00-" + std::string(kInboundTrace) + "-" +
                                       kInboundParent + "-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("TRACEPARENT")));
  std::vector<json> spans = ReceivedSpans(receiver);
  ASSERT_EQ(spans.size(), 3u);
  const json* root = SpanNamed(spans, "DAG: child");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ((*root)["traceId"], kInboundTrace);
  EXPECT_EQ((*root)["parentSpanId"], kInboundParent);
  for (const json& span : spans) EXPECT_EQ(span["traceId"], kInboundTrace);
}

TEST(TracingPropagationTest, UpperCaseTraceparentIsIgnoredWithAWarning) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  std::string dag = home.WriteFile("dags/child.yaml", GoodDag("child", GrpcOtel(receiver)));
  Result r = home.Run({"start", dag}, {"TRACEPARENT=00-4BF92F3577B34DA6A3CE929D0E0E4736-" +
                                       std::string(kInboundParent) + "-01"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("ignoring TRACEPARENT"));
  EXPECT_THAT(r.err, HasSubstr("upper-case"));
  std::vector<json> spans = ReceivedSpans(receiver);
  const json* root = SpanNamed(spans, "DAG: child");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ((*root)["parentSpanId"], "");
  EXPECT_NE((*root)["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ((*root)["traceId"].get<std::string>().size(), 32u);
}

// A step running a program instrumented with the official OpenTelemetry SDK (peer.js) joins the
// trace under its step: the SDK continues the step's TRACEPARENT and exports on its own.
TEST(TracingPropagationTest, InstrumentedStepProgramSpanIsChildOfItsStepSpan) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  std::string endpoint = "http://127.0.0.1:" + std::to_string(receiver.http_port()) + "/v1/traces";
  std::string peer = std::string(std::getenv("WEFT_SOURCE_DIR")) + "/tests/otlp-receiver/peer.js";
  std::string dag = home.WriteFile("dags/instrumented.yaml",
                                   "name: instrumented\n"
                                   "otel:\n"
                                   "    enabled: true\n"
                                   "    endpoint: \"" +
                                       endpoint +
                                       "\"\n"
                                       "steps:\n"
                                       "  - name: prepare\n"
                                       "    command: echo ready\n"
                                       "  - name: work\n"
                                       "    depends: prepare\n"
                                       "    command: node " +
                                       peer + " " + endpoint + " peer-work\n");
  Result r = home.Run({"start", dag});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  std::vector<json> spans = ReceivedSpans(receiver);
  ASSERT_EQ(spans.size(), 4u);
  const json* step = SpanNamed(spans, "Step: work");
  const json* child = SpanNamed(spans, "peer-work");
  ASSERT_NE(step, nullptr);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ((*child)["traceId"], (*step)["traceId"]);
  EXPECT_EQ((*child)["parentSpanId"], (*step)["spanId"]);
  EXPECT_EQ((*child)["resource"]["telemetry.sdk.name"]["value"], "opentelemetry");
}

TEST(TracingSpoolTest, SpansForADownCollectorAreSpooledThenFlushedExactlyOnce) {
  int port = UnusedPort();
  WeftHome home;
  std::string dag =
      home.WriteFile("dags/spooled.yaml",
                     GoodDag("spooled", "    endpoint: \"http://127.0.0.1:" + std::to_string(port) +
                                            "/v1/traces\"\n"));
  Result start = home.Run({"start", dag});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  EXPECT_THAT(start.err, HasSubstr("3 spans could not be delivered"));
  EXPECT_THAT(start.err, HasSubstr("spooled"));
  // The exporter's own log goes to stderr: stdout carries `--json` and a child run's result.
  EXPECT_THAT(start.err, HasSubstr("3 spans for http://127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(start.out, Not(HasSubstr("spans for")));
  EXPECT_THAT(home.Run({"status", "spooled"}).out,
              HasSubstr("spans: 0 exported, 0 retried, 3 spooled, 0 dropped"));

  OtlpReceiver receiver(trace::otlp::testing::ReceiverOptions().HttpPort(port));
  ASSERT_TRUE(receiver.started());
  ASSERT_EQ(receiver.http_port(), port);
  Result flush = home.Run({"otel", "flush", dag});
  ASSERT_EQ(flush.exit_code, 0) << flush.err;
  EXPECT_THAT(flush.out, HasSubstr("delivered 3 spooled spans"));
  Result again = home.Run({"otel", "flush", dag});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("delivered 0 spooled spans"));

  std::vector<json> spans = ReceivedSpans(receiver);
  ASSERT_EQ(spans.size(), 3u);
  std::set<std::string> ids;
  for (const json& span : spans) ids.insert(span["spanId"].get<std::string>());
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_NE(SpanNamed(spans, "DAG: spooled"), nullptr);
  EXPECT_EQ(StatusJson(home, "spooled")["run_id"],
            Attr(*SpanNamed(spans, "DAG: spooled"), "dag.run_id")["value"]);
}

TEST(TracingSpoolTest, NextRunToTheSameEndpointDeliversTheSpool) {
  int port = UnusedPort();
  WeftHome home;
  std::string dag =
      home.WriteFile("dags/spooled.yaml",
                     GoodDag("spooled", "    endpoint: \"http://127.0.0.1:" + std::to_string(port) +
                                            "/v1/traces\"\n"));
  Result down = home.Run({"start", dag});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  ASSERT_THAT(down.err, HasSubstr("spooled"));

  OtlpReceiver receiver(trace::otlp::testing::ReceiverOptions().HttpPort(port));
  ASSERT_TRUE(receiver.started());
  Result up = home.Run({"start", dag});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_THAT(up.err, Not(HasSubstr("spooled")));

  // Both runs' spans, each once: two roots with different run ids.
  std::vector<json> spans = ReceivedSpans(receiver);
  ASSERT_EQ(spans.size(), 6u);
  std::set<std::string> ids;
  std::set<std::string> run_ids;
  for (const json& span : spans) {
    ids.insert(span["spanId"].get<std::string>());
    if (span["name"] == "DAG: spooled") run_ids.insert(Attr(span, "dag.run_id")["value"]);
  }
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_EQ(run_ids.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Protocols, TracingExportTest,
    ::testing::Values(Transport{"grpc", &GrpcOtel, "grpc"},
                      Transport{"http_protobuf", &HttpProtobufOtel, "http/protobuf"},
                      Transport{"http_json", &HttpJsonOtel, "http/json"}),
    [](const ::testing::TestParamInfo<Transport>& info) { return info.param.label; });

// Handlers get spans of their own, and what went wrong on the way shows as span events.
TEST(TracingFailureTest, HandlerSpansAndRetryTimeoutEvents) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  std::string counter = home.WriteFile("count", "0");
  std::string dag = home.WriteFile("events.yaml", R"(name: events
type: graph
otel:
  enabled: true
  endpoint: "127.0.0.1:)" + std::to_string(receiver.grpc_port()) +
                                                      R"("
  insecure: true
handler_on:
  failure:
    command: echo failure handler
  exit:
    command: echo exit handler
steps:
  - name: flaky
    command: n=$(cat )" + counter + R"(); echo $((n+1)) > )" +
                                                      counter + R"(; [ $n -ge 1 ] || exit 7
    retry_policy:
      limit: 2
  - name: slow
    command: sleep 300
    timeout_sec: 1
)");
  Result r = home.Run({"start", "--quiet", dag});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<json> spans = ReceivedSpans(receiver);
  const json* root = SpanNamed(spans, "DAG: events");
  const json* flaky = SpanNamed(spans, "Step: flaky");
  const json* slow = SpanNamed(spans, "Step: slow");
  const json* failure = SpanNamed(spans, "Step: onFailure");
  const json* exit = SpanNamed(spans, "Step: onExit");
  ASSERT_TRUE(root && flaky && slow && failure && exit);
  EXPECT_EQ(Attr(*flaky, "step.retry_count")["value"], "1");
  ASSERT_EQ((*flaky)["events"].size(), 1u);
  const json& retry = (*flaky)["events"][0];
  EXPECT_EQ(retry["name"], "retry");
  EXPECT_EQ(retry["attributes"]["attempt"]["value"], "1");
  EXPECT_EQ(retry["attributes"]["exit_code"]["value"], "7");
  EXPECT_EQ((*slow)["events"].at(0)["name"], "timeout");
  EXPECT_EQ(Attr(*slow, "step.exit_code")["value"], "124");
  EXPECT_EQ(Attr(*slow, "cicd.pipeline.task.run.result")["value"], "timeout");
  EXPECT_EQ(Attr(*failure, "step.handler")["value"], "failure");
  EXPECT_EQ(Attr(*exit, "step.handler")["value"], "exit");
  for (const json* handler : {failure, exit}) {
    EXPECT_EQ((*handler)["parentSpanId"], (*root)["spanId"]);
    EXPECT_EQ(Attr(*handler, "step.status")["value"], "succeeded");
  }
}

// TLS with the CA of the DAG's `certificate`, a client certificate for mutual TLS, and gzip:
// the DAG fields reach the wire through the real binary.
TEST(TracingTlsTest, MutualTlsWithGzipThroughTheBinary) {
  OtlpReceiver receiver(trace::otlp::testing::ReceiverOptions().Tls("mtls"));
  ASSERT_TRUE(receiver.started());
  WeftHome home;
  auto certs = OtlpReceiver::CertsDir();
  std::string dag = home.WriteFile("secure.yaml", R"(name: secure
otel:
  enabled: true
  endpoint: "https://localhost:)" + std::to_string(receiver.grpc_port()) +
                                                      R"("
  certificate: )" + (certs / "ca.pem").string() + R"(
  client_certificate: )" + (certs / "client.pem").string() +
                                                      R"(
  client_key: )" + (certs / "client-key.pem").string() +
                                                      R"(
  compression: gzip
steps:
  - name: only
    command: "true"
)");
  Result r = home.Run({"start", "--quiet", dag});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> spans = ReceivedSpans(receiver);
  EXPECT_EQ(spans.size(), 2u);
  ASSERT_FALSE(receiver.Requests().empty());
  EXPECT_EQ(receiver.Requests()[0]["headers"]["grpc-encoding"], "gzip");
}

}  // namespace
}  // namespace weft::e2e
