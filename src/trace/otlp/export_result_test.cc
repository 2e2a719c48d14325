#include "trace/otlp/export_result.h"

#include <gtest/gtest.h>

#include <set>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace weft::trace::otlp {
namespace {

using std::chrono::milliseconds;

std::string StatusWithRetryInfo(int code, std::int64_t seconds, std::int32_t nanos) {
  google::rpc::RetryInfo info;
  info.mutable_retry_delay()->set_seconds(seconds);
  info.mutable_retry_delay()->set_nanos(nanos);
  google::rpc::Status status;
  status.set_code(code);
  status.add_details()->PackFrom(info);
  return status.SerializeAsString();
}

TEST(OtlpExportResultTest, GrpcRetryableCodesFollowTheOtlpSpec) {
  const std::set<int> retryable = {1, 4, 10, 11, 14, 15};  // CANCELLED .. DATA_LOSS
  for (int code = 1; code <= 16; ++code) {
    ExportResult result = ClassifyGrpcStatus(code, "boom", "");
    EXPECT_EQ(result.outcome,
              retryable.contains(code) ? ExportOutcome::kRetryable : ExportOutcome::kPermanent)
        << "code " << code;
    EXPECT_FALSE(result.retry_delay.has_value());
  }
  EXPECT_EQ(ClassifyGrpcStatus(14, "down", "").message, "gRPC UNAVAILABLE: down");
  EXPECT_EQ(ClassifyGrpcStatus(3, "bad", "").message, "gRPC INVALID_ARGUMENT: bad");
  EXPECT_EQ(ClassifyGrpcStatus(99, "odd", "").outcome, ExportOutcome::kPermanent);
}

TEST(OtlpExportResultTest, ResourceExhaustedIsRetryableOnlyWithRetryInfo) {
  EXPECT_EQ(ClassifyGrpcStatus(8, "quota", "").outcome, ExportOutcome::kPermanent);
  ExportResult with_info = ClassifyGrpcStatus(8, "quota", StatusWithRetryInfo(8, 2, 500'000'000));
  EXPECT_EQ(with_info.outcome, ExportOutcome::kRetryable);
  EXPECT_EQ(with_info.retry_delay, milliseconds(2500));
}

TEST(OtlpExportResultTest, RetryInfoGivesTheDelayOfOtherRetryableCodes) {
  EXPECT_EQ(ClassifyGrpcStatus(14, "down", StatusWithRetryInfo(14, 3, 0)).retry_delay,
            milliseconds(3000));
}

TEST(OtlpExportResultTest, MalformedStatusDetailsAreIgnored) {
  ExportResult result = ClassifyGrpcStatus(8, "quota", std::string("\xff\xff\xff", 3));
  EXPECT_EQ(result.outcome, ExportOutcome::kPermanent);
  EXPECT_FALSE(result.retry_delay.has_value());
  EXPECT_FALSE(ClassifyGrpcStatus(14, "", StatusWithRetryInfo(14, -1, 0)).retry_delay.has_value());
}

TEST(OtlpExportResultTest, PartialSuccess) {
  EXPECT_EQ(ClassifyPartialSuccess(0, "").outcome, ExportOutcome::kSuccess);
  ExportResult rejected = ClassifyPartialSuccess(3, "3 spans too old");
  EXPECT_EQ(rejected.outcome, ExportOutcome::kPartialSuccess);
  EXPECT_EQ(rejected.rejected_spans, 3);
  EXPECT_EQ(rejected.message, "3 spans too old");
  ExportResult warning = ClassifyPartialSuccess(0, "deprecated field");
  EXPECT_EQ(warning.outcome, ExportOutcome::kPartialSuccess);
  EXPECT_EQ(warning.rejected_spans, 0);
}

ExportResult Http(long status, std::string_view type = "", std::string_view body = "",
                  std::optional<std::string_view> retry_after = std::nullopt) {
  return ClassifyHttpResponse(status, type, body, retry_after, std::chrono::system_clock::now());
}

TEST(OtlpExportResultTest, HttpSuccess) {
  EXPECT_EQ(Http(200).outcome, ExportOutcome::kSuccess);
  EXPECT_EQ(Http(202, "application/x-protobuf", "").outcome, ExportOutcome::kSuccess);
  EXPECT_EQ(Http(200, "application/x-protobuf", "\xff\x01garbage").outcome,
            ExportOutcome::kSuccess);
  EXPECT_EQ(Http(200, "application/json", "{not json").outcome, ExportOutcome::kSuccess);
  EXPECT_EQ(Http(200, "application/json", "{}").outcome, ExportOutcome::kSuccess);
}

TEST(OtlpExportResultTest, HttpPartialSuccessInProtobufAndJson) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  response.mutable_partial_success()->set_rejected_spans(2);
  response.mutable_partial_success()->set_error_message("two bad");
  ExportResult proto = Http(200, "application/x-protobuf", response.SerializeAsString());
  EXPECT_EQ(proto.outcome, ExportOutcome::kPartialSuccess);
  EXPECT_EQ(proto.rejected_spans, 2);
  EXPECT_EQ(proto.message, "two bad");

  ExportResult json = Http(200, "application/json; charset=utf-8",
                           R"({"partialSuccess":{"rejectedSpans":"4","errorMessage":"x"}})");
  EXPECT_EQ(json.outcome, ExportOutcome::kPartialSuccess);
  EXPECT_EQ(json.rejected_spans, 4);
  EXPECT_EQ(
      Http(200, "application/json", R"({"partialSuccess":{"rejectedSpans":5}})").rejected_spans, 5);
  EXPECT_EQ(Http(200, "application/json", R"({"partialSuccess":{}})").outcome,
            ExportOutcome::kSuccess);
}

TEST(OtlpExportResultTest, HttpRetryableStatuses) {
  for (long status : {429L, 502L, 503L, 504L}) {
    EXPECT_EQ(Http(status).outcome, ExportOutcome::kRetryable) << status;
  }
  for (long status : {400L, 401L, 403L, 404L, 413L, 500L, 501L, 302L}) {
    EXPECT_EQ(Http(status).outcome, ExportOutcome::kPermanent) << status;
  }
}

TEST(OtlpExportResultTest, HttpRetryAfterIsHonoured) {
  EXPECT_EQ(Http(503, "", "", "7").retry_delay, milliseconds(7000));
  EXPECT_EQ(Http(429, "", "", "soon").retry_delay, std::nullopt);
  EXPECT_EQ(Http(503).retry_delay, std::nullopt);
  // Retry-After on a permanent error does not make it retryable.
  EXPECT_EQ(Http(400, "", "", "1").outcome, ExportOutcome::kPermanent);
}

TEST(OtlpExportResultTest, HttpErrorMessagesComeFromTheBody) {
  google::rpc::Status status;
  status.set_code(3);
  status.set_message("bad span id");
  EXPECT_EQ(Http(400, "application/x-protobuf", status.SerializeAsString()).message,
            "HTTP 400: bad span id");
  EXPECT_EQ(Http(400, "application/json", R"({"code":3,"message":"bad json"})").message,
            "HTTP 400: bad json");
  EXPECT_EQ(Http(500, "text/plain", "oops\nline2").message, "HTTP 500: oops line2");
  EXPECT_EQ(Http(404).message, "HTTP 404");
  std::string long_body(1000, 'x');
  EXPECT_LT(Http(500, "text/plain", long_body).message.size(), 320u);
}

TEST(OtlpExportResultTest, RetryAfterSecondsAndHttpDates) {
  using std::chrono::system_clock;
  // Wed, 21 Oct 2015 07:28:00 GMT
  system_clock::time_point date = system_clock::from_time_t(1445412480);
  system_clock::time_point now = date - std::chrono::seconds(30);
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), milliseconds(120'000));
  EXPECT_EQ(ParseRetryAfter("0", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), milliseconds(30'000));
  EXPECT_EQ(ParseRetryAfter("Wednesday, 21-Oct-15 07:28:00 GMT", now), milliseconds(30'000));
  EXPECT_EQ(ParseRetryAfter("Wed Oct 21 07:28:00 2015", now), milliseconds(30'000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", date + std::chrono::hours(1)),
            milliseconds(0));  // already past
  for (const char* bad : {"", "  ", "soon", "-5", "99999999999999999999999"}) {
    EXPECT_EQ(ParseRetryAfter(bad, now), std::nullopt) << bad;
  }
}

// Found by fuzz/otlp_response_fuzzer: a date centuries ahead overflowed the nanosecond clock.
TEST(OtlpExportResultTest, RetryAfterFarAheadIsMalformed) {
  using std::chrono::system_clock;
  system_clock::time_point now = system_clock::from_time_t(1445412480);  // 21 Oct 2015
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 4675 07:28:00 GMT", now), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Fri, 21 Oct 2016 07:28:00 GMT", now), std::nullopt);  // a year + 1 day
  EXPECT_EQ(ParseRetryAfter("Thu, 20 Oct 2016 07:28:00 GMT", now),
            milliseconds(365LL * 86'400 * 1000));
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", now), milliseconds(0));
  const ExportResult result =
      ClassifyHttpResponse(429, "text/plain", "", "Wed, 21 Oct 4675 07:28:00 GMT", now);
  EXPECT_EQ(result.outcome, ExportOutcome::kRetryable);
  EXPECT_EQ(result.retry_delay, std::nullopt);
}

TEST(OtlpExportResultTest, OutcomeNames) {
  EXPECT_EQ(OutcomeName(ExportOutcome::kSuccess), "success");
  EXPECT_EQ(OutcomeName(ExportOutcome::kPartialSuccess), "partial success");
  EXPECT_EQ(OutcomeName(ExportOutcome::kRetryable), "retryable");
  EXPECT_EQ(OutcomeName(ExportOutcome::kPermanent), "permanent");
}

}  // namespace
}  // namespace weft::trace::otlp
