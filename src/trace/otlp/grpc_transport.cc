#include "trace/otlp/grpc_transport.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <mutex>

#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "trace/otlp/proto_encoding.h"

namespace weft::trace::otlp {
namespace {

namespace collector = opentelemetry::proto::collector::trace::v1;

// gRPC takes system_clock deadlines; the pipeline reasons in steady_clock.
std::chrono::system_clock::time_point ToSystem(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(
             deadline - std::chrono::steady_clock::now());
}

class GrpcTransport final : public Transport {
 public:
  GrpcTransport(const ExportConfig& config, const TlsMaterial& tls)
      : headers_(config.headers), gzip_(config.compression == Compression::kGzip) {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (config.resolved.tls) {
      grpc::SslCredentialsOptions options;
      options.pem_root_certs = tls.ca;
      options.pem_private_key = tls.client_key;
      options.pem_cert_chain = tls.client_certificate;
      credentials = grpc::SslCredentials(options);
    } else {
      credentials = grpc::InsecureChannelCredentials();
    }
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // the pipeline retries, by the OTLP rules
    channel_ = grpc::CreateCustomChannel(config.resolved.target, credentials, args);
    stub_ = collector::TraceService::NewStub(channel_);
    channel_->GetState(/*try_to_connect=*/true);
  }

  ExportResult Export(const ExportBatch& batch,
                      std::chrono::steady_clock::time_point deadline) override {
    if (aborted_) return Aborted();
    grpc::ClientContext context;
    context.set_deadline(ToSystem(deadline));
    for (const auto& [key, value] : headers_) context.AddMetadata(key, value);
    if (gzip_) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    {
      std::lock_guard lock(mutex_);
      if (aborted_) return Aborted();
      in_flight_ = &context;
    }
    collector::ExportTraceServiceResponse response;
    google::protobuf::Arena arena;
    grpc::Status status = stub_->Export(&context, *EncodeRequest(batch, &arena), &response);
    {
      std::lock_guard lock(mutex_);
      in_flight_ = nullptr;
    }
    if (status.ok()) {
      return ClassifyPartialSuccess(response.partial_success().rejected_spans(),
                                    response.partial_success().error_message());
    }
    if (aborted_) return Aborted();
    ExportResult result =
        ClassifyGrpcStatus(status.error_code(), status.error_message(), status.error_details());
    result.unreachable = status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                         channel_->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE;
    return result;
  }

  void Abort() override {
    std::lock_guard lock(mutex_);
    aborted_ = true;
    if (in_flight_ != nullptr) in_flight_->TryCancel();
  }

 private:
  static ExportResult Aborted() {
    ExportResult result;
    result.outcome = ExportOutcome::kRetryable;
    result.message = "export abandoned at the end of the run";
    return result;
  }

  const Headers headers_;
  const bool gzip_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<collector::TraceService::Stub> stub_;
  std::mutex mutex_;  // guards in_flight_ against Abort from another thread
  grpc::ClientContext* in_flight_ = nullptr;
  std::atomic<bool> aborted_ = false;
};

}  // namespace

std::unique_ptr<Transport> MakeGrpcTransport(const ExportConfig& config, const TlsMaterial& tls) {
  return std::make_unique<GrpcTransport>(config, tls);
}

}  // namespace weft::trace::otlp
