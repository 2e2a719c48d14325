// OTLP/HTTP (protobuf and JSON) against the independent Node receiver (tests/otlp-receiver).

#include "trace/otlp/http_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "trace/otlp/export_pipeline.h"
#include "trace/otlp/receiver_fixture.h"

namespace weft::trace::otlp {
namespace {

using testing::ConfigFor;
using testing::ExpectReceived;
using ::testing::HasSubstr;
using testing::OtlpReceiver;
using testing::ReceiverOptions;
using testing::SampleBatch;
using testing::TempDir;

std::int64_t FarFuture() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             (std::chrono::system_clock::now() + std::chrono::hours(1)).time_since_epoch())
      .count();
}

PipelineOptions FastRetries() {
  PipelineOptions options;
  options.initial_backoff = std::chrono::milliseconds(1);
  options.max_backoff = std::chrono::milliseconds(2);
  return options;
}

std::unique_ptr<Transport> Make(const ExportConfig& config) {
  std::string error;
  std::unique_ptr<Transport> transport = MakeTransport(config, &error);
  EXPECT_NE(transport, nullptr) << error;
  return transport;
}

ExportResult ExportOnce(const dag::OtelConfig& otel, const ExportBatch& batch,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  std::unique_ptr<Transport> transport = Make(ConfigFor(otel));
  if (!transport) return {};
  return transport->Export(batch, std::chrono::steady_clock::now() + timeout);
}

// Runs each case over both OTLP/HTTP encodings.
class OtlpHttpTransportTest : public ::testing::TestWithParam<std::string> {
 protected:
  dag::OtelConfig Otel(int port, std::string scheme = "http", std::string host = "127.0.0.1") {
    dag::OtelConfig otel;
    otel.endpoint = scheme + "://" + host + ":" + std::to_string(port) + "/v1/traces";
    otel.protocol = GetParam();
    return otel;
  }
};

TEST_P(OtlpHttpTransportTest, DeliversEverySpanFieldAndTheResource) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  ExportBatch batch = SampleBatch(3);
  ExportResult result = ExportOnce(Otel(receiver.http_port()), batch);
  EXPECT_EQ(result.outcome, ExportOutcome::kSuccess) << result.message;
  std::vector<nlohmann::json> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["transport"], GetParam());
  EXPECT_EQ(requests[0]["headers"]["content-type"],
            GetParam() == "http/json" ? "application/json" : "application/x-protobuf");
  const nlohmann::json& rs = requests[0]["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["service.name"]["value"], "weft-fixture");
  EXPECT_EQ(rs["resource"]["process.pid"], (nlohmann::json{{"type", "int"}, {"value", "4242"}}));
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["name"], "weft");
  std::vector<nlohmann::json> spans = receiver.Spans();
  ASSERT_EQ(spans.size(), 3u);
  for (std::size_t i = 0; i < spans.size(); ++i) ExpectReceived(spans[i], batch.spans[i]);
}

TEST_P(OtlpHttpTransportTest, SendsConfiguredHeaders) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel = Otel(receiver.http_port());
  otel.headers["Authorization"] = "Bearer abc";
  ASSERT_EQ(ExportOnce(otel, SampleBatch(1)).outcome, ExportOutcome::kSuccess);
  EXPECT_EQ(receiver.Requests().at(0)["headers"]["authorization"], "Bearer abc");
}

TEST_P(OtlpHttpTransportTest, GzipBody) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel = Otel(receiver.http_port());
  otel.compression = "gzip";
  ExportBatch batch = SampleBatch(2);
  ASSERT_EQ(ExportOnce(otel, batch).outcome, ExportOutcome::kSuccess);
  EXPECT_EQ(receiver.Requests().at(0)["headers"]["content-encoding"], "gzip");
  ExpectReceived(receiver.Spans().at(1), batch.spans[1]);
}

TEST_P(OtlpHttpTransportTest, HttpsVerifiesAgainstTheConfiguredCa) {
  OtlpReceiver receiver(ReceiverOptions().Tls("tls"));
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel = Otel(receiver.http_port(), "https", "localhost");
  otel.certificate = (OtlpReceiver::CertsDir() / "ca.pem").string();
  ExportResult ok = ExportOnce(otel, SampleBatch(1));
  EXPECT_EQ(ok.outcome, ExportOutcome::kSuccess) << ok.message;

  otel.certificate.reset();  // the test CA is not among the system roots
  ExportResult untrusted = ExportOnce(otel, SampleBatch(1));
  EXPECT_EQ(untrusted.outcome, ExportOutcome::kPermanent);
  EXPECT_THAT(untrusted.message, HasSubstr("HTTP export failed"));
  EXPECT_EQ(receiver.Requests().size(), 1u);
}

TEST_P(OtlpHttpTransportTest, InsecureHttpsSkipsVerification) {
  OtlpReceiver receiver(ReceiverOptions().Tls("tls"));
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel = Otel(receiver.http_port(), "https", "localhost");
  otel.insecure = true;
  ExportResult result = ExportOnce(otel, SampleBatch(1));
  EXPECT_EQ(result.outcome, ExportOutcome::kSuccess) << result.message;
}

TEST_P(OtlpHttpTransportTest, MutualTls) {
  OtlpReceiver receiver(ReceiverOptions().Tls("mtls"));
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel = Otel(receiver.http_port(), "https", "localhost");
  otel.certificate = (OtlpReceiver::CertsDir() / "ca.pem").string();
  EXPECT_NE(ExportOnce(otel, SampleBatch(1)).outcome, ExportOutcome::kSuccess);
  otel.client_certificate = (OtlpReceiver::CertsDir() / "client.pem").string();
  otel.client_key = (OtlpReceiver::CertsDir() / "client-key.pem").string();
  ExportResult result = ExportOnce(otel, SampleBatch(1));
  EXPECT_EQ(result.outcome, ExportOutcome::kSuccess) << result.message;
  EXPECT_EQ(receiver.Spans().size(), 1u);
}

TEST_P(OtlpHttpTransportTest, RefusedConnectionIsUnreachable) {
  ExportResult result = ExportOnce(Otel(testing::UnusedPort()), SampleBatch(1));
  EXPECT_EQ(result.outcome, ExportOutcome::kRetryable);
  EXPECT_TRUE(result.unreachable) << result.message;
}

TEST_P(OtlpHttpTransportTest, ServiceUnavailableWithRetryAfterIsRetriedAndDeliveredOnce) {
  OtlpReceiver receiver(ReceiverOptions().Fault("retry-after", 2).RetryAfter(0));
  ASSERT_TRUE(receiver.started());
  ExportResult first = ExportOnce(Otel(receiver.http_port()), SampleBatch(1));
  EXPECT_EQ(first.outcome, ExportOutcome::kRetryable);
  EXPECT_EQ(first.retry_delay, std::chrono::milliseconds(0));
  EXPECT_THAT(first.message, HasSubstr("HTTP 503"));

  ExportConfig config = ConfigFor(Otel(receiver.http_port()));
  ExportPipeline pipeline(config, Make(config), FastRetries());
  ExportBatch batch = SampleBatch(2);
  for (const SpanData& span : batch.spans) pipeline.OnSpanEnd(span);
  pipeline.Shutdown(FarFuture());
  std::vector<nlohmann::json> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1]["answer"], "503");
  EXPECT_EQ(requests[2]["answer"], "ok");
  ASSERT_EQ(receiver.Spans().size(), 2u);
  EXPECT_EQ(pipeline.Counters().exported, 2u);
  EXPECT_EQ(pipeline.Counters().retried, 2u);
}

TEST_P(OtlpHttpTransportTest, RetryAfterIsReadFromTheResponse) {
  OtlpReceiver receiver(ReceiverOptions().Fault("retry-after").RetryAfter(7));
  ASSERT_TRUE(receiver.started());
  ExportResult result = ExportOnce(Otel(receiver.http_port()), SampleBatch(1));
  EXPECT_EQ(result.outcome, ExportOutcome::kRetryable);
  EXPECT_EQ(result.retry_delay, std::chrono::milliseconds(7000));

  // A delay past the export timeout is not waited for: the batch is spooled.
  TempDir spool;
  dag::OtelConfig otel = Otel(receiver.http_port());
  otel.timeout = "2s";
  ExportConfig config = ConfigFor(otel);
  PipelineOptions options;
  options.spool_root = spool.path();
  ExportPipeline pipeline(config, Make(config), options);
  pipeline.OnSpanEnd(SampleBatch(1).spans[0]);
  pipeline.Shutdown(FarFuture());
  EXPECT_EQ(receiver.Requests().size(), 2u);
  EXPECT_EQ(pipeline.Counters().spooled, 1u);
}

TEST_P(OtlpHttpTransportTest, SlowAnswerPastTheTimeoutIsRetryable) {
  OtlpReceiver receiver(ReceiverOptions().Slow(3000));
  ASSERT_TRUE(receiver.started());
  ExportResult result =
      ExportOnce(Otel(receiver.http_port()), SampleBatch(1), std::chrono::milliseconds(300));
  EXPECT_EQ(result.outcome, ExportOutcome::kRetryable);
  EXPECT_FALSE(result.unreachable);
  EXPECT_THAT(result.message, HasSubstr("imeout"));
}

TEST_P(OtlpHttpTransportTest, BadRequestIsNotRetried) {
  OtlpReceiver receiver(ReceiverOptions().Fault("invalid"));
  ASSERT_TRUE(receiver.started());
  ExportResult result = ExportOnce(Otel(receiver.http_port()), SampleBatch(1));
  EXPECT_EQ(result.outcome, ExportOutcome::kPermanent);
  EXPECT_THAT(result.message, HasSubstr("HTTP 400"));
  EXPECT_THAT(result.message, HasSubstr("invalid argument"));

  ExportConfig config = ConfigFor(Otel(receiver.http_port()));
  ExportPipeline pipeline(config, Make(config), FastRetries());
  pipeline.OnSpanEnd(SampleBatch(1).spans[0]);
  pipeline.Shutdown(FarFuture());
  EXPECT_EQ(receiver.Requests().size(), 2u);
  EXPECT_EQ(pipeline.Counters().dropped, 1u);
  EXPECT_EQ(pipeline.Counters().retried, 0u);
}

TEST_P(OtlpHttpTransportTest, PartialSuccessIsReportedAndNotRetried) {
  OtlpReceiver receiver(ReceiverOptions().Partial(1, "one too old"));
  ASSERT_TRUE(receiver.started());
  ExportResult result = ExportOnce(Otel(receiver.http_port()), SampleBatch(2));
  EXPECT_EQ(result.outcome, ExportOutcome::kPartialSuccess);
  EXPECT_EQ(result.rejected_spans, 1);
  EXPECT_EQ(result.message, "one too old");
}

TEST_P(OtlpHttpTransportTest, SpoolCarriesSpansAcrossACollectorOutage) {
  TempDir spool;
  int port = testing::UnusedPort();
  ExportConfig config = ConfigFor(Otel(port));
  PipelineOptions options;
  options.spool_root = spool.path();
  ExportBatch batch = SampleBatch(2);
  {
    ExportPipeline down(config, Make(config), options);
    for (const SpanData& span : batch.spans) down.OnSpanEnd(span);
    down.Shutdown(FarFuture());
    EXPECT_EQ(down.Counters().spooled, 2u);
  }
  OtlpReceiver receiver(ReceiverOptions().HttpPort(port));
  ASSERT_TRUE(receiver.started());
  {
    ExportPipeline up(config, Make(config), options);
    up.OnSpanEnd(SampleBatch(1).spans[0]);
    up.Shutdown(FarFuture());
    EXPECT_EQ(up.Counters().spool_delivered, 2u);
    EXPECT_EQ(up.Counters().exported, 1u);
  }
  std::vector<nlohmann::json> spans = receiver.Spans();
  ASSERT_EQ(spans.size(), 3u);  // the spooled two first, each once, then the new one
  ExpectReceived(spans[0], batch.spans[0]);
  ExpectReceived(spans[1], batch.spans[1]);
  EXPECT_EQ(Spool(spool.path(), config.endpoint).PendingFiles(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Encodings, OtlpHttpTransportTest,
                         ::testing::Values("http/protobuf", "http/json"), [](const auto& info) {
                           return info.param == "http/json" ? std::string("Json")
                                                            : std::string("Protobuf");
                         });

}  // namespace
}  // namespace weft::trace::otlp
