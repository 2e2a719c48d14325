#pragma once

// Test support: runs the independent OTLP receiver (tests/otlp-receiver, Node) as a child
// process and reads back what it received. Each receiver gets its own temporary directory; its
// ports are known once it has written them to a file (watched with inotify, never polled with
// sleeps). Test failures are reported through GoogleTest.

#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dag/dag.h"
#include "trace/otlp/export_config.h"
#include "trace/span.h"

namespace weft::trace::otlp::testing {

// A directory under $TMPDIR, removed with its contents when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct ReceiverOptions {
  std::string tls = "none";  // none | tls | mtls
  // none | unavailable | retry-after | slow | invalid | partial | resource-exhausted
  std::string fault = "none";
  int fault_count = -1;  // requests the fault applies to; -1 = all
  int retry_after_seconds = 1;
  int delay_ms = 0;
  int rejected = 0;
  std::string message;
  int grpc_port = 0;  // 0 = any free port
  int http_port = 0;

  ReceiverOptions& Tls(std::string mode) { return tls = std::move(mode), *this; }
  ReceiverOptions& Fault(std::string kind, int count = -1) {
    return fault = std::move(kind), fault_count = count, *this;
  }
  ReceiverOptions& RetryAfter(int seconds) { return retry_after_seconds = seconds, *this; }
  ReceiverOptions& Slow(int ms) { return fault = "slow", delay_ms = ms, *this; }
  ReceiverOptions& Partial(int rejected_spans, std::string text) {
    return fault = "partial", rejected = rejected_spans, message = std::move(text), *this;
  }
  ReceiverOptions& GrpcPort(int port) { return grpc_port = port, *this; }
  ReceiverOptions& HttpPort(int port) { return http_port = port, *this; }
};

class OtlpReceiver {
 public:
  explicit OtlpReceiver(ReceiverOptions options = {});
  ~OtlpReceiver();  // stops the receiver
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  // False when the receiver did not start (a GoogleTest failure was recorded).
  bool started() const { return grpc_port_ > 0; }
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }

  // Every request received so far, one JSON object each (see receiver.js).
  std::vector<nlohmann::json> Requests() const;
  // The spans of every request the receiver answered with `answer` ("ok", "partial", ...).
  std::vector<nlohmann::json> Spans(const std::string& answer = "ok") const;

  // The CA, server and client certificates made for this test process (make-certs.sh).
  static std::filesystem::path CertsDir();

 private:
  void Stop();

  TempDir dir_;
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

// A loopback TCP port nobody listens on (bound, then released).
int UnusedPort();

// The export config of an `otel:` block (enabled) with an empty environment; records a test
// failure when it does not resolve.
ExportConfig ConfigFor(dag::OtelConfig otel);

// `count` spans of one trace: a SERVER root, then INTERNAL children with attributes of every
// type, an event, an ERROR status, a tracestate; ids and times differ per span.
ExportBatch SampleBatch(int count);

// Checks a span as the receiver decoded it against the span sent, field by field.
void ExpectReceived(const nlohmann::json& received, const SpanData& sent);

}  // namespace weft::trace::otlp::testing
