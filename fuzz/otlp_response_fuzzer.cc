// What a collector answers to an OTLP export (§5.5). Input lines: HTTP status, Content-Type,
// Retry-After (`-` = absent), gRPC status code, gRPC message, then the body (an
// ExportTraceServiceResponse or google.rpc.Status as protobuf or JSON, or text), which is also
// read as gRPC status details. Whatever the bytes: the outcome follows the status class,
// delays and rejected span counts are never negative, and messages are one printable line.

#include <google/protobuf/stubs/logging.h>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "check.h"
#include "lines.h"
#include "trace/otlp/export_result.h"

namespace {

using weft::trace::otlp::ExportOutcome;
using weft::trace::otlp::ExportResult;

long Number(std::string_view text, long otherwise) {
  long value = otherwise;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

void CheckResult(const ExportResult& result) {
  WEFT_FUZZ_CHECK(result.rejected_spans >= 0);
  if (result.retry_delay) WEFT_FUZZ_CHECK(result.retry_delay->count() >= 0);
  for (unsigned char c : result.message) WEFT_FUZZ_CHECK(c >= 0x20 && c != 0x7f);
}

bool IsRetryableHttp(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace

// protobuf logs every malformed message it is given; that is expected here, and noise.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto fields = SplitFuzzInput(data, size, 6);
  const long status = Number(fields[0], 200);
  const std::string_view content_type = fields[1];
  std::optional<std::string_view> retry_after;
  if (fields[2] != "-") retry_after = fields[2];
  const int grpc_code = static_cast<int>(Number(fields[3], 14));
  const std::string_view grpc_message = fields[4];
  const std::string_view body = fields[5];
  // A fixed clock keeps every run of an input the same.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'750'000'000));

  const ExportResult http =
      weft::trace::otlp::ClassifyHttpResponse(status, content_type, body, retry_after, now);
  CheckResult(http);
  if (status >= 200 && status < 300) {
    WEFT_FUZZ_CHECK(http.outcome == ExportOutcome::kSuccess ||
                    http.outcome == ExportOutcome::kPartialSuccess);
  } else {
    WEFT_FUZZ_CHECK(http.outcome == (IsRetryableHttp(status) ? ExportOutcome::kRetryable
                                                             : ExportOutcome::kPermanent));
  }

  const ExportResult grpc = weft::trace::otlp::ClassifyGrpcStatus(grpc_code, grpc_message, body);
  CheckResult(grpc);
  WEFT_FUZZ_CHECK(grpc.outcome == ExportOutcome::kRetryable ||
                  grpc.outcome == ExportOutcome::kPermanent);
  return 0;
}
