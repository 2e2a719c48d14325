#pragma once

// OTLP/gRPC. The only translation unit that includes <grpcpp/grpcpp.h> (it compiles slowly).

#include <memory>

#include "trace/otlp/transport.h"

namespace weft::trace::otlp {

// A channel to config.resolved.target (TLS per §5.2; TLS 1.2 is gRPC's minimum), connecting
// from the moment it is made so the first export finds it ready. Header names are sent as
// lower-case metadata keys; the deadline of each call is the export deadline; gzip when asked.
// UNAVAILABLE while the channel cannot connect is reported as unreachable.
std::unique_ptr<Transport> MakeGrpcTransport(const ExportConfig& config, const TlsMaterial& tls);

}  // namespace weft::trace::otlp
