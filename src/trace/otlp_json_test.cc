#include "trace/otlp_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "trace/ids.h"

namespace weft::trace {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json RequestJson(const ExportBatch& batch) { return json::parse(EncodeExportRequest(batch)); }

SpanData RootSpan() {
  SpanData span;
  span.trace_id = *ParseTraceId("4bf92f3577b34da6a3ce929d0e0e4736");
  span.span_id = *ParseSpanId("00f067aa0ba902b7");
  span.flags = 1;
  span.name = "DAG: etl";
  span.kind = SpanKind::kServer;
  span.start_ns = 1'700'000'000'123'456'789;
  span.end_ns = 1'700'000'002'000'000'000;
  span.attributes = {{"dag.name", std::string("etl")},
                     {"ok", true},
                     {"count", std::int64_t{9'007'199'254'740'993}},
                     {"ratio", 0.25}};
  return span;
}

SpanData ChildSpan() {
  SpanData span;
  span.trace_id = *ParseTraceId("4bf92f3577b34da6a3ce929d0e0e4736");
  span.span_id = *ParseSpanId("b7ad6b7169203331");
  span.parent_span_id = *ParseSpanId("00f067aa0ba902b7");
  span.trace_state = "rojo=1,congo=2";
  span.flags = 0;
  span.name = "Step: load";
  span.kind = SpanKind::kInternal;
  span.start_ns = 1'700'000'000'500'000'000;
  span.end_ns = 1'700'000'001'500'000'000;
  span.events = {{"retry", 1'700'000'001'000'000'000, {{"attempt", std::int64_t{1}}}}};
  span.status = StatusCode::kError;
  span.status_message = "exit code 3";
  return span;
}

ExportBatch Batch() {
  ExportBatch batch;
  batch.resource = {{"service.name", std::string("weft-etl")}, {"process.pid", std::int64_t{42}}};
  batch.scope_name = "weft";
  batch.scope_version = "0.1.0";
  batch.spans = {RootSpan(), ChildSpan()};
  return batch;
}

TEST(OtlpJsonEncodeTest, RequestStructure) {
  json request = RequestJson(Batch());
  ASSERT_EQ(request.size(), 1u);
  ASSERT_EQ(request["resourceSpans"].size(), 1u);
  const json& resource_spans = request["resourceSpans"][0];
  EXPECT_EQ(resource_spans["resource"], json::parse(R"({"attributes":[
              {"key":"service.name","value":{"stringValue":"weft-etl"}},
              {"key":"process.pid","value":{"intValue":"42"}}]})"));
  ASSERT_EQ(resource_spans["scopeSpans"].size(), 1u);
  EXPECT_EQ(resource_spans["scopeSpans"][0]["scope"],
            json::parse(R"({"name":"weft","version":"0.1.0"})"));
  EXPECT_EQ(resource_spans["scopeSpans"][0]["spans"].size(), 2u);
}

// The trace record builds its lines span by span: each Take() is a whole request holding the
// spans added since the last one, under the same resource and scope.
TEST(OtlpJsonEncodeTest, RequestBuiltSpanBySpanStartsAgainAfterTake) {
  ExportBatch batch = Batch();
  ExportRequestJson request(batch.resource, batch.scope_name, batch.scope_version);
  request.Add(RootSpan());
  request.Add(ChildSpan());
  EXPECT_EQ(request.span_count(), 2u);
  json first = json::parse(request.Take());
  EXPECT_EQ(request.span_count(), 0u);
  request.Add(ChildSpan());
  json second = json::parse(request.Take());
  json empty = json::parse(request.Take());

  const auto spans = [](const json& r) { return r["resourceSpans"][0]["scopeSpans"][0]["spans"]; };
  ASSERT_EQ(spans(first).size(), 2u);
  EXPECT_EQ(spans(first)[0]["name"], "DAG: etl");
  EXPECT_EQ(spans(first)[1]["name"], "Step: load");
  ASSERT_EQ(spans(second).size(), 1u);
  EXPECT_EQ(spans(second)[0]["name"], "Step: load");
  EXPECT_EQ(spans(empty).size(), 0u);
  for (const json* r : {&second, &empty}) {
    EXPECT_EQ((*r)["resourceSpans"][0]["resource"], first["resourceSpans"][0]["resource"]);
    EXPECT_EQ((*r)["resourceSpans"][0]["scopeSpans"][0]["scope"],
              first["resourceSpans"][0]["scopeSpans"][0]["scope"]);
  }
}

TEST(OtlpJsonEncodeTest, RootSpanFields) {
  json span = RequestJson(Batch())["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(span, json::parse(R"({
    "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
    "spanId": "00f067aa0ba902b7",
    "flags": 1,
    "name": "DAG: etl",
    "kind": 2,
    "startTimeUnixNano": "1700000000123456789",
    "endTimeUnixNano": "1700000002000000000",
    "attributes": [
      {"key": "dag.name", "value": {"stringValue": "etl"}},
      {"key": "ok", "value": {"boolValue": true}},
      {"key": "count", "value": {"intValue": "9007199254740993"}},
      {"key": "ratio", "value": {"doubleValue": 0.25}}
    ],
    "status": {"code": 0}
  })"));
}

TEST(OtlpJsonEncodeTest, ChildSpanFields) {
  json span = RequestJson(Batch())["resourceSpans"][0]["scopeSpans"][0]["spans"][1];
  EXPECT_EQ(span, json::parse(R"({
    "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
    "spanId": "b7ad6b7169203331",
    "parentSpanId": "00f067aa0ba902b7",
    "traceState": "rojo=1,congo=2",
    "flags": 0,
    "name": "Step: load",
    "kind": 1,
    "startTimeUnixNano": "1700000000500000000",
    "endTimeUnixNano": "1700000001500000000",
    "attributes": [],
    "events": [{"timeUnixNano": "1700000001000000000", "name": "retry",
                "attributes": [{"key": "attempt", "value": {"intValue": "1"}}]}],
    "status": {"code": 2, "message": "exit code 3"}
  })"));
}

TEST(OtlpJsonEncodeTest, ScopeVersionLeftOutWhenEmpty) {
  ExportBatch batch = Batch();
  batch.scope_version.clear();
  EXPECT_EQ(RequestJson(batch)["resourceSpans"][0]["scopeSpans"][0]["scope"],
            json::parse(R"({"name":"weft"})"));
}

TEST(OtlpJsonEncodeTest, NonFiniteDoublesAsProto3Strings) {
  ExportBatch batch;
  SpanData span = RootSpan();
  span.attributes = {{"nan", std::numeric_limits<double>::quiet_NaN()},
                     {"inf", std::numeric_limits<double>::infinity()},
                     {"ninf", -std::numeric_limits<double>::infinity()}};
  batch.spans = {span};
  json attributes =
      RequestJson(batch)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
  EXPECT_EQ(attributes[0]["value"]["doubleValue"], "NaN");
  EXPECT_EQ(attributes[1]["value"]["doubleValue"], "Infinity");
  EXPECT_EQ(attributes[2]["value"]["doubleValue"], "-Infinity");
}

TEST(OtlpJsonEncodeTest, NegativeIntegersAndTimesAreDecimalStrings) {
  ExportBatch batch;
  SpanData span = RootSpan();
  span.attributes = {{"min", std::numeric_limits<std::int64_t>::min()}};
  batch.spans = {span};
  EXPECT_EQ(RequestJson(batch)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][0]
                              ["value"]["intValue"],
            "-9223372036854775808");
}

TEST(OtlpJsonEncodeTest, EncodedTextIsOneLineInProtoFieldOrder) {
  std::string text = EncodeExportRequest(Batch());
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.rfind(R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",)", 0),
            0u);
  EXPECT_THAT(text, HasSubstr(R"("spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736",)"
                              R"("spanId":"00f067aa0ba902b7","flags":1,"name":"DAG: etl",)"));
}

TEST(OtlpJsonEncodeTest, NewlinesInValuesAreEscaped) {
  ExportBatch batch;
  SpanData span = RootSpan();
  span.status_message = "line1\nline2";
  batch.spans = {span};
  EXPECT_EQ(EncodeExportRequest(batch).find('\n'), std::string::npos);
}

TEST(OtlpJsonEncodeTest, InvalidUtf8IsReplacedNotThrown) {
  ExportBatch batch;
  SpanData span = RootSpan();
  span.name = "Step: \xff\xfe";
  batch.spans = {span};
  std::string text = EncodeExportRequest(batch);
  EXPECT_THAT(text, HasSubstr("Step: \xef\xbf\xbd\xef\xbf\xbd"));  // U+FFFD twice
}

TEST(OtlpJsonDecodeTest, RoundTrip) {
  std::optional<std::vector<ExportBatch>> batches =
      DecodeExportRequest(EncodeExportRequest(Batch()));
  ASSERT_TRUE(batches);
  ASSERT_EQ(batches->size(), 1u);
  const ExportBatch& batch = (*batches)[0];
  EXPECT_EQ(batch.resource, Batch().resource);
  EXPECT_EQ(batch.scope_name, "weft");
  EXPECT_EQ(batch.scope_version, "0.1.0");
  ASSERT_EQ(batch.spans.size(), 2u);
  const SpanData& root = batch.spans[0];
  EXPECT_EQ(root.trace_id, RootSpan().trace_id);
  EXPECT_EQ(root.span_id, RootSpan().span_id);
  EXPECT_FALSE(root.parent_span_id.IsValid());
  EXPECT_EQ(root.flags, 1u);
  EXPECT_EQ(root.name, "DAG: etl");
  EXPECT_EQ(root.kind, SpanKind::kServer);
  EXPECT_EQ(root.start_ns, RootSpan().start_ns);
  EXPECT_EQ(root.end_ns, RootSpan().end_ns);
  EXPECT_EQ(root.attributes, RootSpan().attributes);
  EXPECT_EQ(root.status, StatusCode::kUnset);
  const SpanData& child = batch.spans[1];
  EXPECT_EQ(child.parent_span_id, ChildSpan().parent_span_id);
  EXPECT_EQ(child.trace_state, "rojo=1,congo=2");
  EXPECT_EQ(child.flags, 0u);
  EXPECT_EQ(child.kind, SpanKind::kInternal);
  ASSERT_EQ(child.events.size(), 1u);
  EXPECT_EQ(child.events[0].name, "retry");
  EXPECT_EQ(child.events[0].time_ns, 1'700'000'001'000'000'000);
  EXPECT_EQ(child.events[0].attributes, ChildSpan().events[0].attributes);
  EXPECT_EQ(child.status, StatusCode::kError);
  EXPECT_EQ(child.status_message, "exit code 3");
}

TEST(OtlpJsonDecodeTest, RoundTripOfNonFiniteDoubles) {
  ExportBatch batch;
  SpanData span = RootSpan();
  span.attributes = {{"nan", std::numeric_limits<double>::quiet_NaN()},
                     {"ninf", -std::numeric_limits<double>::infinity()}};
  batch.spans = {span};
  auto decoded = DecodeExportRequest(EncodeExportRequest(batch));
  ASSERT_TRUE(decoded);
  const Attributes& attributes = (*decoded)[0].spans[0].attributes;
  EXPECT_TRUE(std::isnan(std::get<double>(attributes[0].second)));
  EXPECT_EQ(std::get<double>(attributes[1].second), -std::numeric_limits<double>::infinity());
}

TEST(OtlpJsonDecodeTest, AcceptsWhatProto3JsonWritersMayChoose) {
  std::optional<std::vector<ExportBatch>> batches = DecodeExportRequest(R"({
    "resourceSpans": [{
      "schemaUrl": "ignored",
      "scopeSpans": [{"spans": [{
        "traceId": "4BF92F3577B34DA6A3CE929D0E0E4736",
        "spanId": "00F067AA0BA902B7",
        "parentSpanId": "",
        "name": "x",
        "startTimeUnixNano": 5,
        "endTimeUnixNano": "7",
        "droppedAttributesCount": 0,
        "attributes": [
          {"key": "n", "value": {"intValue": 12}},
          {"key": "d", "value": {"doubleValue": 3}},
          {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "a"}]}}},
          {"key": "empty", "value": {}},
          {"key": "absent"}
        ]
      }]}]
    }]})");
  ASSERT_TRUE(batches);
  ASSERT_EQ(batches->size(), 1u);
  EXPECT_TRUE((*batches)[0].resource.empty());
  EXPECT_EQ((*batches)[0].scope_name, "");
  const SpanData& span = (*batches)[0].spans.at(0);
  EXPECT_EQ(span.trace_id.Hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span.span_id.Hex(), "00f067aa0ba902b7");
  EXPECT_FALSE(span.parent_span_id.IsValid());
  EXPECT_EQ(span.kind, SpanKind::kInternal);  // absent kind: unspecified
  EXPECT_EQ(span.flags, 0u);
  EXPECT_EQ(span.start_ns, 5);
  EXPECT_EQ(span.end_ns, 7);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  ASSERT_EQ(span.attributes.size(), 5u);
  EXPECT_EQ(span.attributes[0].second, AttributeValue(std::int64_t{12}));
  EXPECT_EQ(span.attributes[1].second, AttributeValue(3.0));
  EXPECT_EQ(span.attributes[2].second,
            AttributeValue(std::string(R"({"values":[{"stringValue":"a"}]})")));
  EXPECT_EQ(span.attributes[3].second, AttributeValue(std::string()));
  EXPECT_EQ(span.attributes[4].second, AttributeValue(std::string()));
}

TEST(OtlpJsonDecodeTest, OneBatchPerResourceAndScope) {
  std::optional<std::vector<ExportBatch>> batches = DecodeExportRequest(R"({"resourceSpans": [
    {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "a"}}]},
     "scopeSpans": [{"scope": {"name": "s1"}, "spans": []},
                    {"scope": {"name": "s2", "version": "2"}, "spans": []}]},
    {"resource": {}, "scopeSpans": [{"scope": {"name": "s3"}}]}]})");
  ASSERT_TRUE(batches);
  ASSERT_EQ(batches->size(), 3u);
  EXPECT_EQ((*batches)[0].scope_name, "s1");
  EXPECT_EQ((*batches)[1].scope_name, "s2");
  EXPECT_EQ((*batches)[1].scope_version, "2");
  EXPECT_EQ((*batches)[1].resource, (*batches)[0].resource);
  EXPECT_EQ((*batches)[2].scope_name, "s3");
  EXPECT_TRUE((*batches)[2].resource.empty());
}

TEST(OtlpJsonDecodeTest, EmptyRequestHasNoBatches) {
  std::optional<std::vector<ExportBatch>> batches = DecodeExportRequest("{}");
  ASSERT_TRUE(batches);
  EXPECT_TRUE(batches->empty());
}

std::string DecodeError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(DecodeExportRequest(text, &error)) << text;
  return error;
}

// A request whose only span is `span` (a JSON object's members, without braces).
std::string WithSpan(std::string_view members) {
  return std::string(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{)") + std::string(members) +
         "}]}]}]}";
}

constexpr char kIds[] =
    R"("traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7")";

TEST(OtlpJsonDecodeTest, BaseSpanOfTheErrorTestsIsValid) {
  EXPECT_TRUE(DecodeExportRequest(WithSpan(kIds)));
}

TEST(OtlpJsonDecodeTest, RejectsTextThatIsNotJson) {
  EXPECT_THAT(DecodeError(R"({"resourceSpans":[)"), HasSubstr("not valid JSON"));
  EXPECT_THAT(DecodeError(""), HasSubstr("not valid JSON"));
}

TEST(OtlpJsonDecodeTest, RejectsWrongShapes) {
  EXPECT_EQ(DecodeError("[]"), "request: expected an object");
  EXPECT_EQ(DecodeError(R"({"resourceSpans":{}})"), "request.resourceSpans: expected an array");
  EXPECT_EQ(DecodeError(R"({"resourceSpans":[1]})"), "resourceSpans[0]: expected an object");
  EXPECT_EQ(DecodeError(R"({"resourceSpans":[{"scopeSpans":[{"spans":[7]}]}]})"),
            "resourceSpans[0].scopeSpans[0].spans[0]: expected an object");
  EXPECT_EQ(DecodeError(R"({"resourceSpans":[{"resource":[]}]})"),
            "resourceSpans[0].resource: expected an object");
}

TEST(OtlpJsonDecodeTest, RejectsBadIds) {
  EXPECT_EQ(DecodeError(WithSpan(R"("spanId":"00f067aa0ba902b7")")),
            "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 32 hex digits, not all "
            "zero");
  EXPECT_THAT(DecodeError(WithSpan(R"("traceId":"00000000000000000000000000000000",)"
                                   R"("spanId":"00f067aa0ba902b7")")),
              HasSubstr("traceId: expected 32 hex digits"));
  EXPECT_THAT(DecodeError(WithSpan(R"("traceId":"4bf92f3577b34da6a3ce929d0e0e4736",)"
                                   R"("spanId":"0000000000000000")")),
              HasSubstr("spanId: expected 16 hex digits"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"parentSpanId":"xyz")")),
              HasSubstr("parentSpanId: expected 16 hex digits"));
  EXPECT_THAT(DecodeError(WithSpan(R"("traceId":42,"spanId":"00f067aa0ba902b7")")),
              HasSubstr("traceId: expected a string"));
}

TEST(OtlpJsonDecodeTest, RejectsBadNumbers) {
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"startTimeUnixNano":"12x")")),
              HasSubstr("spans[0].startTimeUnixNano: \"12x\" is not a 64-bit decimal integer"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"endTimeUnixNano":1.5)")),
              HasSubstr("endTimeUnixNano: expected an integer or a decimal string"));
  EXPECT_THAT(
      DecodeError(WithSpan(std::string(kIds) + R"(,"endTimeUnixNano":18446744073709551615)")),
      HasSubstr("endTimeUnixNano: integer out of range"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"kind":6)")),
              HasSubstr("kind: 6 is out of range 0..5"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"kind":"SPAN_KIND_SERVER")")),
              HasSubstr("kind: expected an integer"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"flags":-1)")),
              HasSubstr("flags: -1 is out of range"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"status":{"code":3})")),
              HasSubstr("status.code: 3 is out of range 0..2"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"status":"ok")")),
              HasSubstr("spans[0].status: expected an object"));
}

TEST(OtlpJsonDecodeTest, RejectsBadAttributes) {
  auto with_attribute = [](std::string_view attribute) {
    return WithSpan(std::string(kIds) + R"(,"attributes":[)" + std::string(attribute) + "]");
  };
  EXPECT_THAT(DecodeError(with_attribute(R"({"value":{"stringValue":"x"}})")),
              HasSubstr("attributes[0].key: missing attribute key"));
  EXPECT_THAT(DecodeError(with_attribute(R"({"key":"k","value":{"stringValue":1}})")),
              HasSubstr("attributes[0].value.stringValue: expected a string"));
  EXPECT_THAT(DecodeError(with_attribute(R"({"key":"k","value":{"boolValue":"true"}})")),
              HasSubstr("value.boolValue: expected true or false"));
  EXPECT_THAT(DecodeError(with_attribute(R"({"key":"k","value":{"intValue":"1.5"}})")),
              HasSubstr("value.intValue: \"1.5\" is not a 64-bit decimal integer"));
  EXPECT_THAT(DecodeError(with_attribute(R"({"key":"k","value":{"doubleValue":"big"}})")),
              HasSubstr("value.doubleValue: expected a number"));
  EXPECT_THAT(DecodeError(with_attribute(R"({"key":"k","value":"x"})")),
              HasSubstr("attributes[0].value: expected an object"));
  EXPECT_THAT(DecodeError(with_attribute(R"("k")")),
              HasSubstr("attributes[0]: expected an object"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"attributes":{})")),
              HasSubstr("spans[0].attributes: expected an array"));
}

TEST(OtlpJsonDecodeTest, RejectsBadEvents) {
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"events":[{"name":1}])")),
              HasSubstr("events[0].name: expected a string"));
  EXPECT_THAT(DecodeError(WithSpan(std::string(kIds) + R"(,"events":[{"timeUnixNano":"x"}])")),
              HasSubstr("events[0].timeUnixNano"));
}

TEST(OtlpJsonDecodeTest, ErrorIsOptional) { EXPECT_FALSE(DecodeExportRequest("nope")); }

}  // namespace
}  // namespace weft::trace
