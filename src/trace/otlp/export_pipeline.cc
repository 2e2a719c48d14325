#include "trace/otlp/export_pipeline.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "version.h"

namespace weft::trace::otlp {
namespace {

using Clock = std::chrono::steady_clock;

Clock::time_point SteadyFromUnixNs(std::int64_t unix_ns) {
  auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  return Clock::now() + std::chrono::nanoseconds(unix_ns - now_ns);
}

}  // namespace

ExportPipeline::ExportPipeline(const ExportConfig& config, std::unique_ptr<Transport> transport,
                               PipelineOptions options)
    : config_(config),
      options_(std::move(options)),
      transport_(std::move(transport)),
      random_(std::random_device{}()) {
  if (!options_.spool_root.empty()) spool_.emplace(options_.spool_root, config_.endpoint);
  batch_template_.resource = config_.resource;
  batch_template_.scope_version = kVersion;
  worker_ = std::thread([this] { Run(); });
}

ExportPipeline::~ExportPipeline() {
  Shutdown(std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count());
}

void ExportPipeline::OnSpanEnd(const SpanData& span) {
  if ((span.flags & 1u) == 0) return;  // unsampled
  std::lock_guard lock(mutex_);
  if (shutdown_requested_ || queue_.size() >= config_.batch.max_queue_size) {
    ++counters_.dropped;
    return;
  }
  queue_.push_back(span);
  if (queue_.size() == 1) first_queued_ = Clock::now();
  if (queue_.size() == 1 || queue_.size() >= config_.batch.max_export_batch_size) {
    wake_.notify_one();
  }
}

void ExportPipeline::StartFlush() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return;
  flush_requested_ = true;
  wake_.notify_one();
}

void ExportPipeline::Shutdown(std::int64_t deadline_ns) {
  std::unique_lock lock(mutex_);
  if (!shutdown_requested_) {
    shutdown_requested_ = true;
    shutdown_deadline_ = SteadyFromUnixNs(deadline_ns);
    wake_.notify_all();
  }
  if (!done_.wait_until(lock, shutdown_deadline_, [this] { return worker_done_; })) {
    // Out of time: end the export in flight; the worker spools the rest and stops.
    aborted_ = true;
    wake_.notify_all();
    lock.unlock();
    transport_->Abort();
  } else {
    lock.unlock();
  }
  if (worker_.joinable()) worker_.join();
}

ExportCounters ExportPipeline::Counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

std::chrono::milliseconds ExportPipeline::ExportTimeout() const {
  return std::min(config_.timeout, config_.batch.export_timeout);
}

Clock::time_point ExportPipeline::ExportDeadline() const {
  Clock::time_point deadline = Clock::now() + ExportTimeout();
  std::lock_guard lock(mutex_);
  return shutdown_requested_ ? std::min(deadline, shutdown_deadline_) : deadline;
}

bool ExportPipeline::ShuttingDown() const {
  std::lock_guard lock(mutex_);
  return shutdown_requested_;
}

void ExportPipeline::Run() {
  for (;;) {
    std::vector<SpanData> spans = NextBatch();
    if (spans.empty()) break;
    Export(std::move(spans));
  }
  // Nothing queued is left, unless the pipeline was aborted mid-way: spool the rest.
  std::vector<SpanData> rest;
  {
    std::lock_guard lock(mutex_);
    rest.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
  }
  while (!rest.empty()) {
    std::size_t n = std::min(rest.size(), config_.batch.max_export_batch_size);
    SpoolSpans(std::vector<SpanData>(std::make_move_iterator(rest.begin()),
                                     std::make_move_iterator(rest.begin() + n)),
               "the end of the run came first");
    rest.erase(rest.begin(), rest.begin() + n);
  }
  std::lock_guard lock(mutex_);
  worker_done_ = true;
  done_.notify_all();
}

std::vector<SpanData> ExportPipeline::NextBatch() {
  if (spool_pending_) DeliverSpool();
  std::unique_lock lock(mutex_);
  for (;;) {
    if (aborted_) return {};
    bool full = queue_.size() >= config_.batch.max_export_batch_size;
    if (full || ((shutdown_requested_ || flush_requested_) && !queue_.empty())) break;
    if (shutdown_requested_) return {};
    if (queue_.empty()) {
      wake_.wait(lock);
    } else if (wake_.wait_until(lock, first_queued_ + config_.batch.schedule_delay) ==
               std::cv_status::timeout) {
      break;
    }
  }
  std::size_t n = std::min(queue_.size(), config_.batch.max_export_batch_size);
  std::vector<SpanData> spans(std::make_move_iterator(queue_.begin()),
                              std::make_move_iterator(queue_.begin() + n));
  queue_.erase(queue_.begin(), queue_.begin() + n);
  if (queue_.empty()) {
    flush_requested_ = false;
  } else {
    first_queued_ = Clock::now();
  }
  return spans;
}

void ExportPipeline::DeliverSpool() {
  spool_pending_ = false;
  if (!spool_ || (collector_unreachable_ && ShuttingDown())) return;
  Spool::DeliveryReport report = spool_->Deliver([this](const ExportBatch& batch) {
    ExportResult result = transport_->Export(batch, ExportDeadline());
    collector_unreachable_ = result.unreachable;
    if (result.outcome == ExportOutcome::kRetryable) return false;
    std::lock_guard lock(mutex_);
    if (result.outcome == ExportOutcome::kPermanent) {
      spdlog::warn("OTLP export of a spooled batch to {} failed for good ({}); dropped",
                   ShownEndpoint(), result.message);
      counters_.dropped += batch.spans.size();
    } else {
      counters_.spool_delivered +=
          batch.spans.size() - std::min<std::size_t>(batch.spans.size(), result.rejected_spans);
    }
    return true;
  });
  if (report.files_corrupt > 0) {
    spdlog::warn("{} unreadable spool files in {} were set aside as *.corrupt",
                 report.files_corrupt, spool_->directory().string());
  }
  // Files left behind by a failure are retried before a later export.
  spool_pending_ = report.files_left > 0 && !collector_unreachable_;
}

void ExportPipeline::Export(std::vector<SpanData> spans) {
  if (collector_unreachable_ && ShuttingDown()) {
    SpoolSpans(std::move(spans), "the collector is unreachable");
    return;
  }
  ExportBatch batch = batch_template_;
  batch.spans = std::move(spans);
  const std::size_t count = batch.spans.size();
  const Clock::time_point export_deadline = Clock::now() + ExportTimeout();
  std::chrono::milliseconds backoff = options_.initial_backoff;
  for (;;) {
    Clock::time_point deadline = std::min(export_deadline, ExportDeadline());
    ExportResult result = transport_->Export(batch, deadline);
    if (result.outcome != ExportOutcome::kRetryable) {
      collector_unreachable_ = false;
      std::lock_guard lock(mutex_);
      if (result.outcome == ExportOutcome::kPermanent) {
        spdlog::warn("OTLP export to {} failed for good ({}); {} spans dropped", ShownEndpoint(),
                     result.message, count);
        counters_.dropped += count;
        return;
      }
      std::size_t rejected = std::min<std::size_t>(count, result.rejected_spans);
      if (result.outcome == ExportOutcome::kPartialSuccess && !partial_success_logged_) {
        partial_success_logged_ = true;
        spdlog::warn("OTLP collector {} accepted the export partly: {} spans rejected: {}",
                     ShownEndpoint(), result.rejected_spans, result.message);
      }
      counters_.exported += count - rejected;
      counters_.dropped += rejected;
      spool_pending_ = spool_pending_ || (spool_ && spool_->PendingFiles() > 0);
      return;
    }
    if (result.unreachable) {
      collector_unreachable_ = true;
      SpoolSpans(std::move(batch.spans), result.message);
      return;
    }
    std::chrono::milliseconds delay = result.retry_delay.value_or(Backoff(backoff));
    backoff = std::min(backoff * 2, options_.max_backoff);
    if (Clock::now() + delay >= deadline) {
      SpoolSpans(std::move(batch.spans),
                 fmt::format("not delivered within the export timeout ({})", result.message));
      return;
    }
    {
      std::lock_guard lock(mutex_);
      counters_.retried += count;
    }
    if (!WaitUntil(Clock::now() + delay)) {
      SpoolSpans(std::move(batch.spans), "the end of the run came first");
      return;
    }
  }
}

void ExportPipeline::SpoolSpans(std::vector<SpanData> spans, std::string_view reason) {
  const std::size_t count = spans.size();
  std::string error = "no spool directory is configured";
  if (spool_) {
    ExportBatch batch = batch_template_;
    batch.spans = std::move(spans);
    if (spool_->Write(batch, &error)) {
      spdlog::info("{} spans for {} spooled: {}", count, ShownEndpoint(), reason);
      std::lock_guard lock(mutex_);
      counters_.spooled += count;
      return;
    }
  }
  spdlog::warn("{} spans for {} dropped: {}; and they cannot be spooled: {}", count,
               ShownEndpoint(), reason, error);
  std::lock_guard lock(mutex_);
  counters_.dropped += count;
}

std::chrono::milliseconds ExportPipeline::Backoff(std::chrono::milliseconds base) {
  // Half fixed, half random: spreads retries of many clients without ever retrying at once.
  std::uniform_int_distribution<std::int64_t> jitter(0,
                                                     std::max<std::int64_t>(base.count() / 2, 0));
  return std::chrono::milliseconds(base.count() - base.count() / 2 + jitter(random_));
}

bool ExportPipeline::WaitUntil(Clock::time_point when) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_until(lock, when, [this] { return aborted_; });
}

ExportCounters FlushSpool(const ExportConfig& config, std::unique_ptr<Transport> transport,
                          const std::filesystem::path& spool_root, std::int64_t deadline_ns) {
  PipelineOptions options;
  options.spool_root = spool_root;
  // A pipeline delivers its endpoint's spool before anything else; with nothing queued, that
  // delivery is all a shut-down pipeline does.
  ExportPipeline pipeline(config, std::move(transport), options);
  pipeline.Shutdown(deadline_ns);
  return pipeline.Counters();
}

}  // namespace weft::trace::otlp
