#include "trace/otlp/export_result.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "trace/otlp/curl_api.h"

namespace weft::trace::otlp {
namespace {

namespace collector = opentelemetry::proto::collector::trace::v1;

// gRPC status codes (grpc/status.h), by number, so this file needs no gRPC header.
enum GrpcCode {
  kCancelled = 1,
  kDeadlineExceeded = 4,
  kResourceExhausted = 8,
  kAborted = 10,
  kOutOfRange = 11,
  kUnavailable = 14,
  kDataLoss = 15,
};

constexpr std::array<std::string_view, 17> kGrpcCodeNames = {
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

constexpr std::size_t kMaxMessage = 300;

// A Retry-After further ahead than this is malformed: no collector means it, and a far date
// would overflow the clock's nanoseconds.
constexpr std::int64_t kMaxRetryAfterSeconds = 86'400 * 365;

// Server text made safe for a one-line log entry.
std::string Printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, kMaxMessage)) {
    out.push_back(std::isprint(c) ? static_cast<char>(c) : ' ');
  }
  if (text.size() > kMaxMessage) out += "...";
  return out;
}

std::optional<std::chrono::milliseconds> RetryInfoDelay(const google::rpc::Status& status) {
  for (const google::protobuf::Any& detail : status.details()) {
    google::rpc::RetryInfo info;
    if (!detail.Is<google::rpc::RetryInfo>() || !detail.UnpackTo(&info)) continue;
    std::int64_t seconds = info.retry_delay().seconds();
    std::int32_t nanos = info.retry_delay().nanos();
    if (seconds < 0 || nanos < 0 || seconds > 86'400) return std::nullopt;
    return std::chrono::milliseconds(seconds * 1000 + nanos / 1'000'000);
  }
  return std::nullopt;
}

bool IsJson(std::string_view content_type) {
  return content_type.find("json") != std::string_view::npos;
}

bool IsProtobuf(std::string_view content_type) {
  return content_type.find("application/x-protobuf") != std::string_view::npos ||
         content_type.find("application/protobuf") != std::string_view::npos;
}

// rejectedSpans is an int64: JSON carries it as a decimal string, some servers as a number.
std::int64_t JsonInt64(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    std::int64_t number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && ptr == text.data() + text.size()) return number;
  }
  return 0;
}

ExportResult HttpSuccess(std::string_view content_type, std::string_view body) {
  if (body.empty()) return {};
  if (IsProtobuf(content_type)) {
    collector::ExportTraceServiceResponse response;
    if (!response.ParseFromArray(body.data(), static_cast<int>(body.size())) ||
        !response.has_partial_success()) {
      return {};
    }
    return ClassifyPartialSuccess(response.partial_success().rejected_spans(),
                                  response.partial_success().error_message());
  }
  if (IsJson(content_type)) {
    nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json.contains("partialSuccess") ||
        !json["partialSuccess"].is_object()) {
      return {};
    }
    const nlohmann::json& partial = json["partialSuccess"];
    std::int64_t rejected =
        partial.contains("rejectedSpans") ? JsonInt64(partial["rejectedSpans"]) : 0;
    std::string message;
    if (partial.contains("errorMessage") && partial["errorMessage"].is_string()) {
      message = partial["errorMessage"].get<std::string>();
    }
    return ClassifyPartialSuccess(rejected, message);
  }
  return {};
}

// The server's explanation of a failed HTTP export.
std::string HttpErrorMessage(std::string_view content_type, std::string_view body) {
  if (IsProtobuf(content_type)) {
    google::rpc::Status status;
    if (status.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return Printable(status.message());
    }
  } else if (IsJson(content_type)) {
    nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (json.is_object() && json.contains("message") && json["message"].is_string()) {
      return Printable(json["message"].get<std::string>());
    }
  }
  return Printable(body);
}

}  // namespace

std::string_view OutcomeName(ExportOutcome outcome) {
  switch (outcome) {
    case ExportOutcome::kSuccess:
      return "success";
    case ExportOutcome::kPartialSuccess:
      return "partial success";
    case ExportOutcome::kRetryable:
      return "retryable";
    case ExportOutcome::kPermanent:
      return "permanent";
  }
  return "unknown";
}

ExportResult ClassifyGrpcStatus(int code, std::string_view message,
                                std::string_view status_details) {
  ExportResult result;
  std::string_view name = code >= 0 && code < static_cast<int>(kGrpcCodeNames.size())
                              ? kGrpcCodeNames[code]
                              : std::string_view("UNKNOWN");
  result.message = fmt::format("gRPC {}: {}", name, Printable(message));
  if (!status_details.empty()) {
    google::rpc::Status status;
    if (status.ParseFromArray(status_details.data(), static_cast<int>(status_details.size()))) {
      result.retry_delay = RetryInfoDelay(status);
    }
  }
  switch (code) {
    case kCancelled:
    case kDeadlineExceeded:
    case kAborted:
    case kOutOfRange:
    case kUnavailable:
    case kDataLoss:
      result.outcome = ExportOutcome::kRetryable;
      break;
    case kResourceExhausted:
      result.outcome = result.retry_delay ? ExportOutcome::kRetryable : ExportOutcome::kPermanent;
      break;
    default:
      result.outcome = ExportOutcome::kPermanent;
      break;
  }
  return result;
}

ExportResult ClassifyPartialSuccess(std::int64_t rejected_spans, std::string_view error_message) {
  ExportResult result;
  if (rejected_spans == 0 && error_message.empty()) return result;
  result.outcome = ExportOutcome::kPartialSuccess;
  result.rejected_spans = std::max<std::int64_t>(rejected_spans, 0);
  result.message = Printable(error_message);
  return result;
}

ExportResult ClassifyHttpResponse(long status, std::string_view content_type, std::string_view body,
                                  std::optional<std::string_view> retry_after,
                                  std::chrono::system_clock::time_point now) {
  if (status >= 200 && status < 300) return HttpSuccess(content_type, body);
  ExportResult result;
  std::string detail = HttpErrorMessage(content_type, body);
  result.message =
      detail.empty() ? fmt::format("HTTP {}", status) : fmt::format("HTTP {}: {}", status, detail);
  if (status == 429 || status == 502 || status == 503 || status == 504) {
    result.outcome = ExportOutcome::kRetryable;
    if (retry_after) result.retry_delay = ParseRetryAfter(*retry_after, now);
  } else {
    result.outcome = ExportOutcome::kPermanent;
  }
  return result;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    std::int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || seconds > kMaxRetryAfterSeconds) return std::nullopt;
    return std::chrono::milliseconds(seconds * 1000);
  }
  // curl_getdate reads the three HTTP date forms (RFC 1123, RFC 850, asctime). Without libcurl
  // there was no HTTP response to read this from.
  std::string load_error;
  const CurlApi* curl = CurlApi::Get(&load_error);
  if (!curl) return std::nullopt;
  std::string date(value);
  time_t when = curl->getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  // Compared in seconds first: only a date near `now` is converted to the clock's nanoseconds.
  const std::int64_t now_seconds =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  if (when <= now_seconds) return std::chrono::milliseconds(0);
  if (when - now_seconds > kMaxRetryAfterSeconds) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::from_time_t(when) - now);
}

}  // namespace weft::trace::otlp
