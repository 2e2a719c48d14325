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

// One ResourceSpans (the batch's resource) with one ScopeSpans (its scope) holding every span,
// built on `arena`, which owns it: a batch is thousands of small messages and strings, and an
// arena allocates them by bumping a pointer and frees them all at once (building and freeing
// them one by one on the heap cost twice what sending them does).
ExportTraceServiceRequest* EncodeRequest(const ExportBatch& batch, google::protobuf::Arena* arena);

// The serialized form of EncodeRequest (the HTTP/protobuf body, the spool file contents).
std::string SerializeRequest(const ExportBatch& batch);

// The inverse of SerializeRequest. Attributes of kinds weft never writes (arrays, maps, bytes)
// are skipped. nullopt when the bytes are not an ExportTraceServiceRequest with exactly one
// resource and one scope, or an id has the wrong length.
std::optional<ExportBatch> ParseRequest(std::string_view bytes);

}  // namespace weft::trace::otlp
