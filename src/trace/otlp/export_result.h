#pragma once

// What one OTLP export attempt came to, and the pure functions that read it from a gRPC status
// or an HTTP response, following the OTLP exporter specification's retry rules. Pure so that
// every status class is unit-tested and the parsers can be fuzzed.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::trace::otlp {

enum class ExportOutcome {
  kSuccess,         // every span accepted
  kPartialSuccess,  // accepted, but the server rejected some spans or sent a warning: no retry
  kRetryable,       // transient: try again after a delay, within the export timeout
  kPermanent,       // the server will never accept this request: drop it
};

struct ExportResult {
  ExportOutcome outcome = ExportOutcome::kSuccess;
  std::int64_t rejected_spans = 0;  // partial success only
  // The server's or transport's words, for the log. Never holds a header value.
  std::string message;
  // When the server said when to retry (HTTP Retry-After, gRPC RetryInfo).
  std::optional<std::chrono::milliseconds> retry_delay;
  // No connection could be made at all (refused, unresolvable, no route). Retryable, but at the
  // end of a run such a collector is not waited for: see ExportPipeline.
  bool unreachable = false;
};

std::string_view OutcomeName(ExportOutcome outcome);

// A gRPC status other than OK. status_details is the grpc-status-details-bin payload (a
// serialized google.rpc.Status), possibly empty; a RetryInfo in it gives the delay, and is what
// makes RESOURCE_EXHAUSTED retryable.
ExportResult ClassifyGrpcStatus(int code, std::string_view message,
                                std::string_view status_details);

// An OK gRPC answer or a 2xx HTTP answer: success, or partial success when the response's
// partial_success names rejected spans or carries an error message.
ExportResult ClassifyPartialSuccess(std::int64_t rejected_spans, std::string_view error_message);

// An HTTP answer. content_type decides how the body is read (application/x-protobuf: an
// ExportTraceServiceResponse on 2xx, a google.rpc.Status otherwise; application/json: their JSON
// forms; anything else: plain text). 429, 502, 503 and 504 are retryable, honouring Retry-After.
ExportResult ClassifyHttpResponse(long status, std::string_view content_type, std::string_view body,
                                  std::optional<std::string_view> retry_after,
                                  std::chrono::system_clock::time_point now);

// Retry-After as delay-seconds or an HTTP date (a date in the past means now). nullopt when
// malformed.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace weft::trace::otlp
