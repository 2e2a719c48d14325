#pragma once

// One way of delivering an export request to a collector: OTLP/gRPC or OTLP/HTTP (protobuf or
// JSON). A transport sends once and classifies the answer; retrying, batching and spooling are
// the pipeline's business.

#include <chrono>
#include <memory>
#include <string>

#include "trace/otlp/export_config.h"
#include "trace/otlp/export_result.h"
#include "trace/span.h"

namespace weft::trace::otlp {

// Export is called by one thread at a time; Abort may be called from any thread.
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends the batch once. Past the deadline the attempt is abandoned and reported retryable.
  virtual ExportResult Export(const ExportBatch& batch,
                              std::chrono::steady_clock::time_point deadline) = 0;
  // Ends an export in flight and makes every later one fail at once (retryable): the end of a
  // run has come and what is left goes to the spool.
  virtual void Abort() = 0;
};

// PEM contents of the TLS files of a config, read when the transport is made so that a missing
// or unreadable file is reported once, before any export.
struct TlsMaterial {
  std::string ca;  // "" = system roots
  std::string client_certificate;
  std::string client_key;
};

// Reads config.certificate / client_certificate / client_key. On failure returns false and sets
// *error to a message naming the file and the setting.
bool ReadTlsMaterial(const ExportConfig& config, TlsMaterial* material, std::string* error);

// The transport for config.resolved.protocol, or nullptr with *error set.
std::unique_ptr<Transport> MakeTransport(const ExportConfig& config, std::string* error);

}  // namespace weft::trace::otlp
