#pragma once

// The export side of tracing: a SpanSink that batches finished spans in a bounded queue and
// exports them from ONE background thread, retrying by the OTLP rules, and spools to disk what it
// cannot deliver so that no span is lost when a collector is down.
//
// Rules:
// - OnSpanEnd never blocks on the network: it appends to the queue under a short lock. A full
//   queue drops the span (counted). Unsampled spans are not exported (the local trace record
//   keeps them).
// - A batch is exported when max_export_batch_size spans are waiting, schedule_delay after its
//   first span, or at once after StartFlush (the run's last span is in). Retryable failures
//   are retried with exponential backoff and jitter (or the server's Retry-After / RetryInfo
//   delay); the whole export, retries included, ends by min(timeout, OTEL_BSP_EXPORT_TIMEOUT).
//   A batch that does not get through in that time is spooled, not dropped. Permanent failures
//   and spans rejected in a partial success are dropped (counted); a partial success is logged
//   once.
// - An unreachable collector (connection refused, unresolvable host) is not retried: the batch
//   goes to the spool at once, and every later export tries the collector again. So a dead
//   collector costs one failed connection per batch, and at Shutdown everything left is spooled
//   without waiting: it adds milliseconds, not the timeout, to the end of a run.
// - The endpoint's spool (oldest file first) is delivered before the first batch, and again after
//   any export succeeds while files wait, so spooled spans go out as soon as the collector is
//   known to take them, and never against a server's requested delay.
// - Shutdown(deadline) exports what is queued until the deadline; then aborts the export in
//   flight and spools every span not yet delivered.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "trace/otlp/export_config.h"
#include "trace/otlp/spool.h"
#include "trace/otlp/transport.h"
#include "trace/span.h"

namespace weft::trace::otlp {

struct ExportCounters {
  std::uint64_t exported = 0;         // spans of this process the collector accepted
  std::uint64_t retried = 0;          // span sends repeated after a retryable failure
  std::uint64_t spooled = 0;          // spans written to the spool
  std::uint64_t dropped = 0;          // spans lost: queue full, permanent error, rejected
  std::uint64_t spool_delivered = 0;  // spans of earlier spooled batches delivered now
};

struct PipelineOptions {
  std::filesystem::path spool_root;  // $WEFT_HOME/spool; "" = no spool (undeliverable = dropped)
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  // How the endpoint appears in weft's messages: with the run's secrets masked, since an
  // endpoint may be built from one. "" = as configured.
  std::string shown_endpoint;
};

class ExportPipeline final : public SpanSink {
 public:
  // Starts the export thread. config.resource becomes the batch resource.
  ExportPipeline(const ExportConfig& config, std::unique_ptr<Transport> transport,
                 PipelineOptions options);
  // Shuts down with an immediate deadline if Shutdown was not called.
  ~ExportPipeline() override;

  ExportPipeline(const ExportPipeline&) = delete;
  ExportPipeline& operator=(const ExportPipeline&) = delete;

  void OnSpanEnd(const SpanData& span) override;
  // Exports the spans queued so far without waiting for a full batch or schedule_delay, so that
  // the last batch of a run travels while weft finishes its other work.
  void StartFlush() override;
  // deadline_ns: unix nanoseconds. Returns when every span is delivered or spooled.
  void Shutdown(std::int64_t deadline_ns) override;

  ExportCounters Counters() const;

 private:
  void Run();
  const std::string& ShownEndpoint() const {
    return options_.shown_endpoint.empty() ? config_.endpoint : options_.shown_endpoint;
  }
  // Waits for the next batch; empty when shut down and drained.
  std::vector<SpanData> NextBatch();
  void DeliverSpool();
  void Export(std::vector<SpanData> spans);
  void SpoolSpans(std::vector<SpanData> spans, std::string_view reason);
  std::chrono::milliseconds Backoff(std::chrono::milliseconds base);
  bool ShuttingDown() const;
  // min(timeout, OTEL_BSP_EXPORT_TIMEOUT): the most one export, retries included, may take.
  std::chrono::milliseconds ExportTimeout() const;
  // A fresh export's deadline: now + ExportTimeout(), but never past Shutdown's deadline.
  std::chrono::steady_clock::time_point ExportDeadline() const;
  // Sleeps until the time or an abort; false when aborted.
  bool WaitUntil(std::chrono::steady_clock::time_point when);

  const ExportConfig config_;
  const PipelineOptions options_;
  const std::unique_ptr<Transport> transport_;
  std::optional<Spool> spool_;
  ExportBatch batch_template_;  // resource and scope, no spans

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<SpanData> queue_;
  std::chrono::steady_clock::time_point first_queued_;
  bool shutdown_requested_ = false;
  bool flush_requested_ = false;  // until the queue has been emptied
  bool aborted_ = false;
  bool worker_done_ = false;
  std::chrono::steady_clock::time_point shutdown_deadline_;
  ExportCounters counters_;

  // Worker thread only.
  bool spool_pending_ = true;
  bool collector_unreachable_ = false;
  bool partial_success_logged_ = false;
  std::minstd_rand random_;

  std::thread worker_;  // last: starts after every member above exists
};

// `weft otel flush`: delivers the spool of config's endpoint now through transport, oldest file
// first, stopping at the first file the collector does not take, and by the deadline (unix ns).
// The counters say what was delivered (spool_delivered) or dropped for good.
ExportCounters FlushSpool(const ExportConfig& config, std::unique_ptr<Transport> transport,
                          const std::filesystem::path& spool_root, std::int64_t deadline_ns);

}  // namespace weft::trace::otlp
