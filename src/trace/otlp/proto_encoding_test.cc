#include "trace/otlp/proto_encoding.h"

#include <gtest/gtest.h>

#include "trace/otlp/receiver_fixture.h"

namespace weft::trace::otlp {
namespace {

using testing::SampleBatch;

TEST(OtlpProtoEncodingTest, EncodesResourceScopeAndEverySpanField) {
  ExportBatch batch = SampleBatch(2);
  google::protobuf::Arena arena;
  const ExportTraceServiceRequest& request = *EncodeRequest(batch, &arena);
  ASSERT_EQ(request.resource_spans_size(), 1);
  const auto& rs = request.resource_spans(0);
  ASSERT_EQ(rs.resource().attributes_size(), 2);
  EXPECT_EQ(rs.resource().attributes(0).key(), "service.name");
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "weft-fixture");
  EXPECT_EQ(rs.resource().attributes(1).value().int_value(), 4242);
  ASSERT_EQ(rs.scope_spans_size(), 1);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "weft");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "9.9.9");
  ASSERT_EQ(rs.scope_spans(0).spans_size(), 2);

  const auto& root = rs.scope_spans(0).spans(0);
  const SpanData& sent_root = batch.spans[0];
  EXPECT_EQ(root.trace_id(),
            std::string(sent_root.trace_id.bytes.begin(), sent_root.trace_id.bytes.end()));
  EXPECT_EQ(root.span_id().size(), 8u);
  EXPECT_TRUE(root.parent_span_id().empty());  // a root has no parent field at all
  EXPECT_EQ(root.kind(), opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(root.name(), "DAG: fixture");
  EXPECT_EQ(root.flags(), 1u);

  const auto& child = rs.scope_spans(0).spans(1);
  const SpanData& sent = batch.spans[1];
  EXPECT_EQ(child.parent_span_id(),
            std::string(sent.parent_span_id.bytes.begin(), sent.parent_span_id.bytes.end()));
  EXPECT_EQ(child.kind(), opentelemetry::proto::trace::v1::Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(child.trace_state(), "vendor=x");
  EXPECT_EQ(child.start_time_unix_nano(), static_cast<std::uint64_t>(sent.start_ns));
  EXPECT_EQ(child.end_time_unix_nano(), static_cast<std::uint64_t>(sent.end_ns));
  ASSERT_EQ(child.attributes_size(), 4);
  EXPECT_EQ(child.attributes(0).value().string_value(), "s1");
  EXPECT_EQ(child.attributes(1).value().int_value(), 1);
  EXPECT_EQ(child.attributes(2).value().value_case(),
            opentelemetry::proto::common::v1::AnyValue::kBoolValue);
  EXPECT_FALSE(child.attributes(2).value().bool_value());
  EXPECT_DOUBLE_EQ(child.attributes(3).value().double_value(), 1.5);
  ASSERT_EQ(child.events_size(), 1);
  EXPECT_EQ(child.events(0).name(), "retry");
  EXPECT_EQ(child.events(0).attributes(0).value().int_value(), 2);
  EXPECT_EQ(child.status().code(), opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(child.status().message(), "exit code 1");
}

TEST(OtlpProtoEncodingTest, UnsetStatusIsLeftOut) {
  ExportBatch batch = SampleBatch(1);
  batch.spans[0].status = StatusCode::kUnset;
  batch.spans[0].status_message.clear();
  google::protobuf::Arena arena;
  EXPECT_FALSE(
      EncodeRequest(batch, &arena)->resource_spans(0).scope_spans(0).spans(0).has_status());
}

TEST(OtlpProtoEncodingTest, ParseRequestInvertsSerializeRequest) {
  ExportBatch batch = SampleBatch(3);
  std::optional<ExportBatch> parsed = ParseRequest(SerializeRequest(batch));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->resource, batch.resource);
  EXPECT_EQ(parsed->scope_name, batch.scope_name);
  EXPECT_EQ(parsed->scope_version, batch.scope_version);
  ASSERT_EQ(parsed->spans.size(), batch.spans.size());
  for (std::size_t i = 0; i < batch.spans.size(); ++i) {
    const SpanData& a = parsed->spans[i];
    const SpanData& b = batch.spans[i];
    EXPECT_EQ(a.trace_id, b.trace_id);
    EXPECT_EQ(a.span_id, b.span_id);
    EXPECT_EQ(a.parent_span_id, b.parent_span_id);
    EXPECT_EQ(a.trace_state, b.trace_state);
    EXPECT_EQ(a.flags, b.flags);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.start_ns, b.start_ns);
    EXPECT_EQ(a.end_ns, b.end_ns);
    EXPECT_EQ(a.attributes, b.attributes);
    ASSERT_EQ(a.events.size(), b.events.size());
    EXPECT_EQ(a.events[0].name, b.events[0].name);
    EXPECT_EQ(a.events[0].time_ns, b.events[0].time_ns);
    EXPECT_EQ(a.events[0].attributes, b.events[0].attributes);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.status_message, b.status_message);
  }
}

TEST(OtlpProtoEncodingTest, ParseRequestRejectsWhatWeftNeverWrites) {
  EXPECT_EQ(ParseRequest(std::string("\xff\xff\xff\xff", 4)), std::nullopt);
  EXPECT_EQ(ParseRequest(""), std::nullopt);  // no resource at all

  google::protobuf::Arena arena;
  ExportTraceServiceRequest& two_resources = *EncodeRequest(SampleBatch(1), &arena);
  *two_resources.add_resource_spans() = two_resources.resource_spans(0);
  EXPECT_EQ(ParseRequest(two_resources.SerializeAsString()), std::nullopt);

  ExportTraceServiceRequest& short_id = *EncodeRequest(SampleBatch(1), &arena);
  short_id.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_span_id("abc");
  EXPECT_EQ(ParseRequest(short_id.SerializeAsString()), std::nullopt);
}

}  // namespace
}  // namespace weft::trace::otlp
