// OTLP/gRPC against the independent Node receiver (tests/otlp-receiver).

#include "trace/otlp/grpc_transport.h"

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

std::chrono::steady_clock::time_point In(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

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

PipelineOptions Spooling(const std::filesystem::path& root) {
  PipelineOptions options;
  options.spool_root = root;
  return options;
}

dag::OtelConfig Plaintext(int port) {
  dag::OtelConfig otel;
  otel.endpoint = "http://127.0.0.1:" + std::to_string(port);
  return otel;
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
  return transport->Export(batch, In(timeout));
}

TEST(OtlpGrpcTransportTest, DeliversEverySpanFieldAndTheResource) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  ExportBatch batch = SampleBatch(3);
  ExportResult result = ExportOnce(Plaintext(receiver.grpc_port()), batch);
  EXPECT_EQ(result.outcome, ExportOutcome::kSuccess) << result.message;

  std::vector<nlohmann::json> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["transport"], "grpc");
  const nlohmann::json& rs = requests[0]["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["service.name"]["value"], "weft-fixture");
  EXPECT_EQ(rs["resource"]["process.pid"], (nlohmann::json{{"type", "int"}, {"value", "4242"}}));
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["name"], "weft");
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["version"], "9.9.9");
  std::vector<nlohmann::json> spans = receiver.Spans();
  ASSERT_EQ(spans.size(), 3u);
  for (std::size_t i = 0; i < spans.size(); ++i) ExpectReceived(spans[i], batch.spans[i]);
}

TEST(OtlpGrpcTransportTest, HeadersArriveAsLowerCaseMetadata) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel = Plaintext(receiver.grpc_port());
  otel.headers["Authorization"] = "Bearer abc";
  otel.headers["X-Tenant-ID"] = "t1";
  ASSERT_EQ(ExportOnce(otel, SampleBatch(1)).outcome, ExportOutcome::kSuccess);
  nlohmann::json headers = receiver.Requests().at(0)["headers"];
  EXPECT_EQ(headers["authorization"], "Bearer abc");
  EXPECT_EQ(headers["x-tenant-id"], "t1");
}

TEST(OtlpGrpcTransportTest, GzipCompressesTheMessage) {
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel = Plaintext(receiver.grpc_port());
  otel.compression = "gzip";
  ExportBatch batch = SampleBatch(2);
  ASSERT_EQ(ExportOnce(otel, batch).outcome, ExportOutcome::kSuccess);
  nlohmann::json request = receiver.Requests().at(0);
  EXPECT_EQ(request["headers"]["grpc-encoding"], "gzip");
  ExpectReceived(receiver.Spans().at(1), batch.spans[1]);
}

TEST(OtlpGrpcTransportTest, TlsVerifiesTheServerAgainstTheConfiguredCa) {
  OtlpReceiver receiver(ReceiverOptions().Tls("tls"));
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel;
  otel.endpoint = "localhost:" + std::to_string(receiver.grpc_port());  // host:port = TLS
  otel.certificate = (OtlpReceiver::CertsDir() / "ca.pem").string();
  ExportResult result = ExportOnce(otel, SampleBatch(1));
  EXPECT_EQ(result.outcome, ExportOutcome::kSuccess) << result.message;
  EXPECT_EQ(receiver.Spans().size(), 1u);

  otel.certificate.reset();  // the test CA is not among the system roots
  EXPECT_EQ(ExportOnce(otel, SampleBatch(1)).outcome, ExportOutcome::kRetryable);
  EXPECT_EQ(receiver.Requests().size(), 1u);
}

TEST(OtlpGrpcTransportTest, MutualTlsPresentsTheClientCertificate) {
  OtlpReceiver receiver(ReceiverOptions().Tls("mtls"));
  ASSERT_TRUE(receiver.started());
  dag::OtelConfig otel;
  otel.endpoint = "https://localhost:" + std::to_string(receiver.grpc_port());
  otel.certificate = (OtlpReceiver::CertsDir() / "ca.pem").string();
  ExportResult without = ExportOnce(otel, SampleBatch(1));
  EXPECT_NE(without.outcome, ExportOutcome::kSuccess);
  otel.client_certificate = (OtlpReceiver::CertsDir() / "client.pem").string();
  otel.client_key = (OtlpReceiver::CertsDir() / "client-key.pem").string();
  ExportResult with = ExportOnce(otel, SampleBatch(1));
  EXPECT_EQ(with.outcome, ExportOutcome::kSuccess) << with.message;
  EXPECT_EQ(receiver.Spans().size(), 1u);
}

TEST(OtlpGrpcTransportTest, UnreadableCertificateIsReportedWhenTheTransportIsMade) {
  dag::OtelConfig otel;
  otel.endpoint = "localhost:4317";
  otel.certificate = "/nonexistent/ca.pem";
  std::string error;
  EXPECT_EQ(MakeTransport(ConfigFor(otel), &error), nullptr);
  EXPECT_THAT(error, HasSubstr("/nonexistent/ca.pem"));
  EXPECT_THAT(error, HasSubstr("otel.certificate"));
}

TEST(OtlpGrpcTransportTest, RefusedConnectionIsUnreachable) {
  ExportResult result = ExportOnce(Plaintext(testing::UnusedPort()), SampleBatch(1));
  EXPECT_EQ(result.outcome, ExportOutcome::kRetryable);
  EXPECT_TRUE(result.unreachable) << result.message;
}

TEST(OtlpGrpcTransportTest, UnavailableIsRetriedAndDeliveredOnce) {
  OtlpReceiver receiver(ReceiverOptions().Fault("unavailable", 2));
  ASSERT_TRUE(receiver.started());
  ExportResult first = ExportOnce(Plaintext(receiver.grpc_port()), SampleBatch(1));
  EXPECT_EQ(first.outcome, ExportOutcome::kRetryable);
  EXPECT_FALSE(first.unreachable);  // the server answered
  EXPECT_THAT(first.message, HasSubstr("UNAVAILABLE"));

  ExportConfig config = ConfigFor(Plaintext(receiver.grpc_port()));
  ExportPipeline pipeline(config, Make(config), FastRetries());
  ExportBatch batch = SampleBatch(2);
  for (const SpanData& span : batch.spans) pipeline.OnSpanEnd(span);
  pipeline.Shutdown(FarFuture());
  std::vector<nlohmann::json> requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1]["answer"], "UNAVAILABLE");
  EXPECT_EQ(requests[2]["answer"], "ok");
  std::vector<nlohmann::json> delivered = receiver.Spans();
  ASSERT_EQ(delivered.size(), 2u);
  ExpectReceived(delivered[0], batch.spans[0]);
  EXPECT_EQ(pipeline.Counters().exported, 2u);
  EXPECT_EQ(pipeline.Counters().retried, 2u);
}

TEST(OtlpGrpcTransportTest, ResourceExhaustedWithRetryInfoGivesTheDelay) {
  OtlpReceiver receiver(ReceiverOptions().Fault("resource-exhausted").RetryAfter(3));
  ASSERT_TRUE(receiver.started());
  ExportResult result = ExportOnce(Plaintext(receiver.grpc_port()), SampleBatch(1));
  EXPECT_EQ(result.outcome, ExportOutcome::kRetryable) << result.message;
  EXPECT_EQ(result.retry_delay, std::chrono::milliseconds(3000));
}

TEST(OtlpGrpcTransportTest, SlowAnswerPastTheTimeoutIsDeadlineExceeded) {
  OtlpReceiver receiver(ReceiverOptions().Slow(3000));
  ASSERT_TRUE(receiver.started());
  ExportResult result =
      ExportOnce(Plaintext(receiver.grpc_port()), SampleBatch(1), std::chrono::milliseconds(300));
  EXPECT_EQ(result.outcome, ExportOutcome::kRetryable);
  EXPECT_THAT(result.message, HasSubstr("DEADLINE_EXCEEDED"));
}

TEST(OtlpGrpcTransportTest, InvalidArgumentIsNotRetried) {
  OtlpReceiver receiver(ReceiverOptions().Fault("invalid"));
  ASSERT_TRUE(receiver.started());
  ExportConfig config = ConfigFor(Plaintext(receiver.grpc_port()));
  ExportPipeline pipeline(config, Make(config), {});
  pipeline.OnSpanEnd(SampleBatch(1).spans[0]);
  pipeline.Shutdown(FarFuture());
  EXPECT_EQ(receiver.Requests().size(), 1u);
  EXPECT_EQ(pipeline.Counters().dropped, 1u);
  EXPECT_EQ(pipeline.Counters().retried, 0u);
}

TEST(OtlpGrpcTransportTest, PartialSuccessIsReportedAndNotRetried) {
  OtlpReceiver receiver(ReceiverOptions().Partial(1, "one too old"));
  ASSERT_TRUE(receiver.started());
  ExportResult result = ExportOnce(Plaintext(receiver.grpc_port()), SampleBatch(2));
  EXPECT_EQ(result.outcome, ExportOutcome::kPartialSuccess);
  EXPECT_EQ(result.rejected_spans, 1);
  EXPECT_EQ(result.message, "one too old");

  ExportConfig config = ConfigFor(Plaintext(receiver.grpc_port()));
  ExportPipeline pipeline(config, Make(config), {});
  for (const SpanData& span : SampleBatch(2).spans) pipeline.OnSpanEnd(span);
  pipeline.Shutdown(FarFuture());
  EXPECT_EQ(receiver.Requests().size(), 2u);
  EXPECT_EQ(pipeline.Counters().exported, 1u);
  EXPECT_EQ(pipeline.Counters().dropped, 1u);
}

TEST(OtlpGrpcTransportTest, SpoolCarriesSpansAcrossACollectorOutage) {
  TempDir spool;
  int port = testing::UnusedPort();
  ExportConfig config = ConfigFor(Plaintext(port));
  ExportBatch batch = SampleBatch(3);
  {
    ExportPipeline down(config, Make(config), Spooling(spool.path()));
    for (const SpanData& span : batch.spans) down.OnSpanEnd(span);
    down.Shutdown(FarFuture());
    EXPECT_EQ(down.Counters().spooled, 3u);
    EXPECT_EQ(down.Counters().dropped, 0u);
  }
  EXPECT_EQ(Spool(spool.path(), config.endpoint).PendingFiles(), 1u);

  OtlpReceiver receiver(ReceiverOptions().GrpcPort(port));
  ASSERT_TRUE(receiver.started());
  {
    ExportPipeline up(config, Make(config), Spooling(spool.path()));
    up.Shutdown(FarFuture());
    EXPECT_EQ(up.Counters().spool_delivered, 3u);
  }
  EXPECT_EQ(FlushSpool(config, Make(config), spool.path(), FarFuture()).spool_delivered, 0u);
  std::vector<nlohmann::json> spans = receiver.Spans();
  ASSERT_EQ(spans.size(), 3u);  // exactly once
  for (std::size_t i = 0; i < spans.size(); ++i) ExpectReceived(spans[i], batch.spans[i]);
  EXPECT_EQ(Spool(spool.path(), config.endpoint).PendingFiles(), 0u);
}

TEST(OtlpGrpcTransportTest, FlushDeliversTheSpoolNow) {
  TempDir spool;
  OtlpReceiver receiver;
  ASSERT_TRUE(receiver.started());
  ExportConfig config = ConfigFor(Plaintext(receiver.grpc_port()));
  std::string error;
  ASSERT_TRUE(Spool(spool.path(), config.endpoint).Write(SampleBatch(2), &error)) << error;
  ASSERT_TRUE(Spool(spool.path(), config.endpoint).Write(SampleBatch(1), &error)) << error;
  ExportCounters flushed = FlushSpool(config, Make(config), spool.path(), FarFuture());
  EXPECT_EQ(flushed.spool_delivered, 3u);
  EXPECT_EQ(flushed.exported, 0u);
  EXPECT_EQ(receiver.Requests().size(), 2u);
  EXPECT_EQ(receiver.Spans().size(), 3u);
  EXPECT_EQ(Spool(spool.path(), config.endpoint).PendingFiles(), 0u);
}

TEST(OtlpGrpcTransportTest, FlushLeavesTheSpoolWhenTheCollectorIsDown) {
  TempDir spool;
  ExportConfig config = ConfigFor(Plaintext(testing::UnusedPort()));
  std::string error;
  ASSERT_TRUE(Spool(spool.path(), config.endpoint).Write(SampleBatch(2), &error)) << error;
  ExportCounters flushed = FlushSpool(config, Make(config), spool.path(), FarFuture());
  EXPECT_EQ(flushed.spool_delivered, 0u);
  EXPECT_EQ(flushed.dropped, 0u);
  EXPECT_EQ(Spool(spool.path(), config.endpoint).PendingFiles(), 1u);
}

}  // namespace
}  // namespace weft::trace::otlp
