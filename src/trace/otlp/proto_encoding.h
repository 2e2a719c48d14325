#pragma once

// ExportBatch <-> OTLP ExportTraceServiceRequest (protobuf). Encoding feeds the gRPC and
// HTTP/protobuf transports; decoding reads spooled batches back, so the spool holds one
// protocol-neutral format whatever transport delivers it later.

#include <optional>
#include <string>
#include <string_view>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "trace/span.h"

namespace weft::trace::otlp {

using ExportTraceServiceRequest =
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;

// One ResourceSpans (the batch's resource) with one ScopeSpans (its scope) holding every span.
ExportTraceServiceRequest EncodeRequest(const ExportBatch& batch);

// The serialized form of EncodeRequest (the HTTP/protobuf body, the spool file contents).
std::string SerializeRequest(const ExportBatch& batch);

// The inverse of SerializeRequest. Attributes of kinds weft never writes (arrays, maps, bytes)
// are skipped. nullopt when the bytes are not an ExportTraceServiceRequest with exactly one
// resource and one scope, or an id has the wrong length.
std::optional<ExportBatch> ParseRequest(std::string_view bytes);

}  // namespace weft::trace::otlp
