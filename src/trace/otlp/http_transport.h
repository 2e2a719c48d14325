#pragma once

// OTLP/HTTP with libcurl: protobuf or JSON bodies, POSTed to the /v1/traces URL.

#include <memory>
#include <string>

#include "trace/otlp/transport.h"

namespace weft::trace::otlp {

// One reused curl handle (keep-alive). TLS 1.2 minimum, verification against the system roots
// or the configured CA, skipped only for https with `insecure: true`; client certificate for
// mTLS; gzip Content-Encoding when asked. Redirects are not followed. A refused connection or
// an unresolvable host is reported as unreachable. nullptr with `*error` set when libcurl cannot
// be loaded (CurlApi).
std::unique_ptr<Transport> MakeHttpTransport(const ExportConfig& config, const TlsMaterial& tls,
                                             std::string* error);

}  // namespace weft::trace::otlp
