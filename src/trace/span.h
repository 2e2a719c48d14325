#pragma once

// The span model shared by every part of tracing: what a finished span holds, independent of
// how it is encoded (OTLP protobuf, OTLP JSON) or where it goes (collector, local record).

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dag/dag.h"

namespace weft::trace {

using AttributeValue = dag::AttributeValue;
using Attributes = std::vector<std::pair<std::string, AttributeValue>>;

// Two lower-case hex digits per byte, as W3C trace context and OTLP/JSON write ids and flags.
std::string LowerHex(std::span<const std::uint8_t> bytes);

// 16 bytes; all zero = invalid.
struct TraceId {
  std::array<std::uint8_t, 16> bytes{};
  bool IsValid() const;
  std::string Hex() const;  // 32 lower-case hex digits
  bool operator==(const TraceId&) const = default;
};

// 8 bytes; all zero = invalid (and "no parent" as a parent id).
struct SpanId {
  std::array<std::uint8_t, 8> bytes{};
  bool IsValid() const;
  std::string Hex() const;  // 16 lower-case hex digits
  bool operator==(const SpanId&) const = default;
};

enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };
enum class StatusCode { kUnset = 0, kOk = 1, kError = 2 };

struct SpanEvent {
  std::string name;
  std::int64_t time_ns = 0;
  Attributes attributes;
};

struct SpanData {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;    // invalid = root span of the trace (in this process)
  std::string trace_state;  // W3C tracestate to record with the span
  std::uint32_t flags = 1;  // W3C trace flags; bit 0 = sampled
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::int64_t start_ns = 0;  // unix nanoseconds
  std::int64_t end_ns = 0;
  Attributes attributes;
  std::vector<SpanEvent> events;
  StatusCode status = StatusCode::kUnset;
  std::string status_message;
};

// The instrumentation scope of weft's spans.
inline constexpr std::string_view kScopeName = "weft";

// What every span of one process shares: the resource and the instrumentation scope.
struct ExportBatch {
  Attributes resource;
  std::string scope_name{kScopeName};
  std::string scope_version;
  std::vector<SpanData> spans;
};

// Where finished spans go: the local trace record, the export pipeline. Called on the engine's
// thread; implementations must not block on the network.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void OnSpanEnd(const SpanData& span) = 0;
  // The run has emitted its last span: a sink that delivers on a thread of its own starts on
  // what it holds now, without waiting for a full batch; returns at once (Shutdown waits).
  virtual void StartFlush() {}
  // End of the run: deliver or persist everything, within the deadline (unix ns).
  virtual void Shutdown(std::int64_t deadline_ns) = 0;
};

}  // namespace weft::trace
