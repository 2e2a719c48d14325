#include "trace/otlp/proto_encoding.h"

#include <algorithm>

namespace weft::trace::otlp {
namespace {

namespace common = opentelemetry::proto::common::v1;
namespace tracepb = opentelemetry::proto::trace::v1;

void EncodeAttributes(const Attributes& attributes,
                      google::protobuf::RepeatedPtrField<common::KeyValue>* out) {
  out->Reserve(static_cast<int>(attributes.size()));
  for (const auto& [key, value] : attributes) {
    common::KeyValue* kv = out->Add();
    kv->set_key(key);
    common::AnyValue* any = kv->mutable_value();
    std::visit(
        [any](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            any->set_string_value(v);
          } else if constexpr (std::is_same_v<T, bool>) {
            any->set_bool_value(v);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            any->set_int_value(v);
          } else {
            any->set_double_value(v);
          }
        },
        value);
  }
}

Attributes DecodeAttributes(const google::protobuf::RepeatedPtrField<common::KeyValue>& in) {
  Attributes out;
  for (const common::KeyValue& kv : in) {
    const common::AnyValue& v = kv.value();
    switch (v.value_case()) {
      case common::AnyValue::kStringValue:
        out.emplace_back(kv.key(), v.string_value());
        break;
      case common::AnyValue::kBoolValue:
        out.emplace_back(kv.key(), v.bool_value());
        break;
      case common::AnyValue::kIntValue:
        out.emplace_back(kv.key(), static_cast<std::int64_t>(v.int_value()));
        break;
      case common::AnyValue::kDoubleValue:
        out.emplace_back(kv.key(), v.double_value());
        break;
      default:
        break;
    }
  }
  return out;
}

template <std::size_t N>
std::string_view Bytes(const std::array<std::uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

// An empty field is the all-zero (invalid) id; any other length than N is malformed.
template <std::size_t N>
bool DecodeId(const std::string& in, std::array<std::uint8_t, N>* out) {
  if (in.empty()) {
    out->fill(0);
    return true;
  }
  if (in.size() != N) return false;
  std::copy(in.begin(), in.end(), out->begin());
  return true;
}

}  // namespace

ExportTraceServiceRequest* EncodeRequest(const ExportBatch& batch, google::protobuf::Arena* arena) {
  auto* request = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(arena);
  tracepb::ResourceSpans* resource_spans = request->add_resource_spans();
  EncodeAttributes(batch.resource, resource_spans->mutable_resource()->mutable_attributes());
  tracepb::ScopeSpans* scope_spans = resource_spans->add_scope_spans();
  scope_spans->mutable_scope()->set_name(batch.scope_name);
  scope_spans->mutable_scope()->set_version(batch.scope_version);
  scope_spans->mutable_spans()->Reserve(static_cast<int>(batch.spans.size()));
  for (const SpanData& span : batch.spans) {
    tracepb::Span* out = scope_spans->add_spans();
    out->set_trace_id(std::string(Bytes(span.trace_id.bytes)));
    out->set_span_id(std::string(Bytes(span.span_id.bytes)));
    if (span.parent_span_id.IsValid()) {
      out->set_parent_span_id(std::string(Bytes(span.parent_span_id.bytes)));
    }
    out->set_trace_state(span.trace_state);
    out->set_flags(span.flags);
    out->set_name(span.name);
    out->set_kind(static_cast<tracepb::Span::SpanKind>(span.kind));
    out->set_start_time_unix_nano(static_cast<std::uint64_t>(span.start_ns));
    out->set_end_time_unix_nano(static_cast<std::uint64_t>(span.end_ns));
    EncodeAttributes(span.attributes, out->mutable_attributes());
    for (const SpanEvent& event : span.events) {
      tracepb::Span::Event* e = out->add_events();
      e->set_name(event.name);
      e->set_time_unix_nano(static_cast<std::uint64_t>(event.time_ns));
      EncodeAttributes(event.attributes, e->mutable_attributes());
    }
    if (span.status != StatusCode::kUnset || !span.status_message.empty()) {
      out->mutable_status()->set_code(static_cast<tracepb::Status::StatusCode>(span.status));
      out->mutable_status()->set_message(span.status_message);
    }
  }
  return request;
}

std::string SerializeRequest(const ExportBatch& batch) {
  google::protobuf::Arena arena;
  return EncodeRequest(batch, &arena)->SerializeAsString();
}

std::optional<ExportBatch> ParseRequest(std::string_view bytes) {
  ExportTraceServiceRequest request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      request.resource_spans_size() != 1 || request.resource_spans(0).scope_spans_size() != 1) {
    return std::nullopt;
  }
  const tracepb::ResourceSpans& resource_spans = request.resource_spans(0);
  const tracepb::ScopeSpans& scope_spans = resource_spans.scope_spans(0);
  ExportBatch batch;
  batch.resource = DecodeAttributes(resource_spans.resource().attributes());
  batch.scope_name = scope_spans.scope().name();
  batch.scope_version = scope_spans.scope().version();
  batch.spans.reserve(scope_spans.spans_size());
  for (const tracepb::Span& in : scope_spans.spans()) {
    SpanData span;
    if (!DecodeId(in.trace_id(), &span.trace_id.bytes) ||
        !DecodeId(in.span_id(), &span.span_id.bytes) ||
        !DecodeId(in.parent_span_id(), &span.parent_span_id.bytes)) {
      return std::nullopt;
    }
    span.trace_state = in.trace_state();
    span.flags = in.flags();
    span.name = in.name();
    span.kind =
        in.kind() >= 1 && in.kind() <= 5 ? static_cast<SpanKind>(in.kind()) : SpanKind::kInternal;
    span.start_ns = static_cast<std::int64_t>(in.start_time_unix_nano());
    span.end_ns = static_cast<std::int64_t>(in.end_time_unix_nano());
    span.attributes = DecodeAttributes(in.attributes());
    for (const tracepb::Span::Event& e : in.events()) {
      span.events.push_back(SpanEvent{e.name(), static_cast<std::int64_t>(e.time_unix_nano()),
                                      DecodeAttributes(e.attributes())});
    }
    span.status = in.status().code() >= 0 && in.status().code() <= 2
                      ? static_cast<StatusCode>(in.status().code())
                      : StatusCode::kUnset;
    span.status_message = in.status().message();
    batch.spans.push_back(std::move(span));
  }
  return batch;
}

}  // namespace weft::trace::otlp
