#pragma once

// OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) for traces:
// an ExportBatch as one ExportTraceServiceRequest, and back. This is both the body of the
// OTLP/HTTP JSON transport and a line of the run's local trace record, which is also the format
// of the OpenTelemetry Collector's file exporter.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/span.h"

namespace weft::trace {

// The request as compact JSON on one line (no trailing newline): lowerCamelCase field names in
// proto field order, trace and span ids as lower-case hex, enums as integers, 64-bit integers
// (times, intValue) as decimal strings, non-finite doubles as "NaN" / "Infinity" /
// "-Infinity". Empty optional fields (parentSpanId of a root, traceState, events, status
// message, scope version) are left out, as proto3 JSON does. Invalid UTF-8 in names and values
// is replaced by U+FFFD.
std::string EncodeExportRequest(const ExportBatch& batch);

// The same request built one span at a time, for a writer that would otherwise keep a copy of
// every span until it writes them (the trace record, on the engine's thread). Take() returns
// what EncodeExportRequest returns for the resource, the scope and the spans added since the
// last Take().
class ExportRequestJson {
 public:
  ExportRequestJson(const Attributes& resource, std::string_view scope_name,
                    std::string_view scope_version);
  void Add(const SpanData& span);
  std::size_t span_count() const { return span_count_; }
  // The request on one line (no trailing newline); the spans start empty again.
  std::string Take();

 private:
  std::string head_;   // the request up to the spans' opening bracket
  std::string spans_;  // the spans added, comma-separated
  std::size_t span_count_ = 0;
};

// Reads one ExportTraceServiceRequest: one batch per (resource, scope) pair, in order. Accepts
// what proto3 JSON allows a writer to choose (ids in either case, 64-bit integers as strings
// or numbers, missing fields as defaults) and ignores unknown fields. Attribute values that
// SpanData cannot hold (arrays, maps, bytes) become their JSON text as a string. On a fault
// returns nullopt and, when `error` is given, stores the path of the field at fault and why.
std::optional<std::vector<ExportBatch>> DecodeExportRequest(std::string_view json,
                                                            std::string* error = nullptr);

}  // namespace weft::trace
