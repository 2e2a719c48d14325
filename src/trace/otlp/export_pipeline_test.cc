#include "trace/otlp/export_pipeline.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "trace/otlp/receiver_fixture.h"

namespace weft::trace::otlp {
namespace {

using testing::SampleBatch;
using testing::TempDir;

ExportResult Result(ExportOutcome outcome, std::int64_t rejected = 0) {
  ExportResult result;
  result.outcome = outcome;
  result.rejected_spans = rejected;
  result.message = std::string(OutcomeName(outcome));
  return result;
}

// What the scripted transport saw and will answer; shared with the test after the pipeline
// takes the transport.
struct Script {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<ExportBatch> sent;
  std::deque<ExportResult> answers;  // then `otherwise`
  ExportResult otherwise;
  bool hold_first = false;  // the first Export waits for `released`
  bool released = false;
  bool hold_until_abort = false;
  bool aborted = false;

  // Waits (without a timing assumption: the bound only keeps a broken test from hanging).
  template <typename Predicate>
  bool WaitFor(Predicate predicate) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(60), predicate);
  }
  void Release() {
    std::lock_guard lock(mutex);
    released = true;
    changed.notify_all();
  }
};

// A transport that records each batch and answers from a script.
class ScriptedTransport final : public Transport {
 public:
  explicit ScriptedTransport(std::shared_ptr<Script> script) : script_(std::move(script)) {}

  ExportResult Export(const ExportBatch& batch, std::chrono::steady_clock::time_point) override {
    std::unique_lock lock(script_->mutex);
    script_->sent.push_back(batch);
    script_->changed.notify_all();
    if (script_->hold_first && script_->sent.size() == 1) {
      script_->changed.wait(lock, [&] { return script_->released || script_->aborted; });
    }
    if (script_->hold_until_abort) {
      script_->changed.wait(lock, [&] { return script_->aborted; });
      return Result(ExportOutcome::kRetryable);
    }
    if (script_->answers.empty()) return script_->otherwise;
    ExportResult result = script_->answers.front();
    script_->answers.pop_front();
    return result;
  }

  void Abort() override {
    std::lock_guard lock(script_->mutex);
    script_->aborted = true;
    script_->changed.notify_all();
  }

 private:
  std::shared_ptr<Script> script_;
};

ExportResult Retryable(bool unreachable = false) {
  ExportResult result = Result(ExportOutcome::kRetryable);
  result.unreachable = unreachable;
  return result;
}

SpanData Span(const std::string& name, std::uint32_t flags = 1) {
  SpanData span = SampleBatch(1).spans[0];
  span.name = name;
  span.flags = flags;
  return span;
}

std::int64_t UnixNs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::int64_t FarFuture() {
  return UnixNs(std::chrono::system_clock::now() + std::chrono::hours(1));
}

std::vector<std::string> Names(const std::vector<ExportBatch>& batches) {
  std::vector<std::string> names;
  for (const ExportBatch& batch : batches) {
    for (const SpanData& span : batch.spans) names.push_back(span.name);
  }
  return names;
}

std::size_t SpooledSpans(const std::filesystem::path& root, const std::string& endpoint) {
  std::size_t spans = 0;
  Spool(root, endpoint).Deliver([&](const ExportBatch& batch) {
    spans += batch.spans.size();
    return true;
  });
  return spans;
}

class OtlpExportPipelineTest : public ::testing::Test {
 protected:
  OtlpExportPipelineTest() {
    config_.enabled = true;
    config_.endpoint = "collector:4317";
    config_.resource = {{"service.name", std::string("weft-test")}};
    config_.batch.schedule_delay = std::chrono::hours(1);  // export on batch size or shutdown
    options_.spool_root = spool_dir_.path();
    options_.initial_backoff = std::chrono::milliseconds(1);
    options_.max_backoff = std::chrono::milliseconds(2);
  }

  std::unique_ptr<ExportPipeline> Start() {
    return std::make_unique<ExportPipeline>(config_, std::make_unique<ScriptedTransport>(script_),
                                            options_);
  }

  ExportConfig config_;
  PipelineOptions options_;
  TempDir spool_dir_;
  std::shared_ptr<Script> script_ = std::make_shared<Script>();
};

TEST_F(OtlpExportPipelineTest, ExportsQueuedSpansAtShutdownWithTheResource) {
  auto pipeline = Start();
  for (const char* name : {"a", "b", "c"}) pipeline->OnSpanEnd(Span(name));
  pipeline->Shutdown(FarFuture());
  ASSERT_EQ(script_->sent.size(), 1u);
  EXPECT_EQ(Names(script_->sent), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(script_->sent[0].resource, config_.resource);
  EXPECT_EQ(script_->sent[0].scope_name, "weft");
  ExportCounters counters = pipeline->Counters();
  EXPECT_EQ(counters.exported, 3u);
  EXPECT_EQ(counters.dropped + counters.spooled + counters.retried, 0u);
}

TEST_F(OtlpExportPipelineTest, UnsampledSpansAreNotExported) {
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("sampled"));
  pipeline->OnSpanEnd(Span("unsampled", 0));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(Names(script_->sent), (std::vector<std::string>{"sampled"}));
}

TEST_F(OtlpExportPipelineTest, SplitsIntoBatchesOfTheConfiguredSize) {
  config_.batch.max_export_batch_size = 2;
  auto pipeline = Start();
  for (const char* name : {"1", "2", "3", "4", "5"}) pipeline->OnSpanEnd(Span(name));
  pipeline->Shutdown(FarFuture());
  std::vector<std::size_t> sizes;
  for (const ExportBatch& batch : script_->sent) sizes.push_back(batch.spans.size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
  EXPECT_EQ(Names(script_->sent), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

TEST_F(OtlpExportPipelineTest, ScheduleDelayExportsWithoutShutdown) {
  config_.batch.schedule_delay = std::chrono::milliseconds(0);
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("early"));
  EXPECT_TRUE(script_->WaitFor([&] { return script_->sent.size() == 1; }));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(pipeline->Counters().exported, 1u);
}

// StartFlush sends what is queued at once (schedule_delay is an hour here), and returns without
// waiting for it.
TEST_F(OtlpExportPipelineTest, StartFlushExportsTheQueueWithoutShutdown) {
  config_.batch.max_export_batch_size = 2;
  script_->hold_first = true;
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("a"));
  pipeline->StartFlush();
  ASSERT_TRUE(script_->WaitFor([&] { return script_->sent.size() == 1; }));
  for (const char* name : {"b", "c", "d"}) pipeline->OnSpanEnd(Span(name));
  pipeline->StartFlush();
  script_->Release();
  ASSERT_TRUE(script_->WaitFor([&] { return script_->sent.size() == 3; }));
  EXPECT_EQ(Names(script_->sent), (std::vector<std::string>{"a", "b", "c", "d"}));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(script_->sent.size(), 3u);
  EXPECT_EQ(pipeline->Counters().exported, 4u);
}

TEST_F(OtlpExportPipelineTest, FullQueueDropsWithoutBlocking) {
  config_.batch.max_queue_size = 1;
  config_.batch.max_export_batch_size = 1;
  script_->hold_first = true;
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("a"));
  ASSERT_TRUE(script_->WaitFor([&] { return script_->sent.size() == 1; }));
  pipeline->OnSpanEnd(Span("b"));  // queued while "a" is in flight
  pipeline->OnSpanEnd(Span("c"));  // the queue is full
  script_->Release();
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(Names(script_->sent), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(pipeline->Counters().dropped, 1u);
  EXPECT_EQ(pipeline->Counters().exported, 2u);
}

TEST_F(OtlpExportPipelineTest, RetryableFailuresAreRetriedUntilDelivered) {
  script_->answers = {Retryable(), Retryable()};
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("a"));
  pipeline->OnSpanEnd(Span("b"));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(script_->sent.size(), 3u);
  ExportCounters counters = pipeline->Counters();
  EXPECT_EQ(counters.retried, 4u);  // two spans, two retries
  EXPECT_EQ(counters.exported, 2u);
  EXPECT_EQ(counters.spooled, 0u);
}

TEST_F(OtlpExportPipelineTest, ServerDelayBeyondTheTimeoutSpoolsInsteadOfWaiting) {
  config_.timeout = std::chrono::seconds(1);
  ExportResult later = Retryable();
  later.retry_delay = std::chrono::hours(1);
  script_->answers = {later};
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("a"));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(script_->sent.size(), 1u);
  EXPECT_EQ(pipeline->Counters().spooled, 1u);
  EXPECT_EQ(pipeline->Counters().retried, 0u);
  EXPECT_EQ(SpooledSpans(spool_dir_.path(), config_.endpoint), 1u);
}

TEST_F(OtlpExportPipelineTest, PermanentFailureIsDroppedAfterOneAttempt) {
  script_->answers = {Result(ExportOutcome::kPermanent)};
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("a"));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(script_->sent.size(), 1u);
  EXPECT_EQ(pipeline->Counters().dropped, 1u);
  EXPECT_EQ(pipeline->Counters().exported, 0u);
}

TEST_F(OtlpExportPipelineTest, PartialSuccessIsNotRetried) {
  script_->answers = {Result(ExportOutcome::kPartialSuccess, /*rejected=*/1)};
  auto pipeline = Start();
  for (const char* name : {"a", "b", "c"}) pipeline->OnSpanEnd(Span(name));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(script_->sent.size(), 1u);
  EXPECT_EQ(pipeline->Counters().exported, 2u);
  EXPECT_EQ(pipeline->Counters().dropped, 1u);
}

TEST_F(OtlpExportPipelineTest, UnreachableCollectorIsSpooledAtOnceAndDeliveredOnRecovery) {
  config_.batch.max_export_batch_size = 1;
  script_->answers = {Retryable(/*unreachable=*/true)};
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("a"));
  ASSERT_TRUE(script_->WaitFor([&] { return script_->sent.size() == 1; }));
  pipeline->OnSpanEnd(Span("b"));
  // "b" shows the collector is back; then the spooled "a" follows.
  ASSERT_TRUE(script_->WaitFor([&] { return script_->sent.size() == 3; }));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(Names(script_->sent), (std::vector<std::string>{"a", "b", "a"}));
  ExportCounters counters = pipeline->Counters();
  EXPECT_EQ(counters.spooled, 1u);
  EXPECT_EQ(counters.spool_delivered, 1u);
  EXPECT_EQ(counters.exported, 1u);
  EXPECT_EQ(counters.retried, 0u);
  EXPECT_EQ(Spool(spool_dir_.path(), config_.endpoint).PendingFiles(), 0u);
}

TEST_F(OtlpExportPipelineTest, DeadCollectorLosesNothing) {
  config_.batch.max_export_batch_size = 1;
  script_->otherwise = Retryable(/*unreachable=*/true);
  auto pipeline = Start();
  for (const char* name : {"a", "b", "c"}) pipeline->OnSpanEnd(Span(name));
  pipeline->Shutdown(FarFuture());
  ExportCounters counters = pipeline->Counters();
  EXPECT_EQ(counters.spooled, 3u);
  EXPECT_EQ(counters.dropped, 0u);
  EXPECT_EQ(counters.exported, 0u);
  EXPECT_EQ(SpooledSpans(spool_dir_.path(), config_.endpoint), 3u);
}

TEST_F(OtlpExportPipelineTest, WithoutASpoolUndeliverableSpansAreDropped) {
  options_.spool_root.clear();
  script_->otherwise = Retryable(/*unreachable=*/true);
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("a"));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(pipeline->Counters().dropped, 1u);
  EXPECT_EQ(pipeline->Counters().spooled, 0u);
}

TEST_F(OtlpExportPipelineTest, SpoolOfAnEarlierRunGoesFirst) {
  std::string error;
  ExportBatch old = SampleBatch(2);
  old.spans[0].name = "old-1";
  old.spans[1].name = "old-2";
  ASSERT_TRUE(Spool(spool_dir_.path(), config_.endpoint).Write(old, &error)) << error;
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("new"));
  pipeline->Shutdown(FarFuture());
  EXPECT_EQ(Names(script_->sent), (std::vector<std::string>{"old-1", "old-2", "new"}));
  EXPECT_EQ(pipeline->Counters().spool_delivered, 2u);
  EXPECT_EQ(pipeline->Counters().exported, 1u);
  EXPECT_EQ(Spool(spool_dir_.path(), config_.endpoint).PendingFiles(), 0u);
}

TEST_F(OtlpExportPipelineTest, SpoolOfAnotherEndpointIsLeftAlone) {
  std::string error;
  ASSERT_TRUE(Spool(spool_dir_.path(), "other:4317").Write(SampleBatch(1), &error));
  auto pipeline = Start();
  pipeline->Shutdown(FarFuture());
  EXPECT_TRUE(script_->sent.empty());
  EXPECT_EQ(Spool(spool_dir_.path(), "other:4317").PendingFiles(), 1u);
}

TEST_F(OtlpExportPipelineTest, ShutdownPastItsDeadlineAbortsTheExportAndSpools) {
  config_.batch.max_export_batch_size = 1;
  script_->hold_until_abort = true;
  auto pipeline = Start();
  pipeline->OnSpanEnd(Span("in-flight"));
  ASSERT_TRUE(script_->WaitFor([&] { return script_->sent.size() == 1; }));
  pipeline->OnSpanEnd(Span("queued"));
  pipeline->Shutdown(UnixNs(std::chrono::system_clock::now()));
  EXPECT_TRUE(script_->aborted);
  ExportCounters counters = pipeline->Counters();
  EXPECT_EQ(counters.spooled, 2u);
  EXPECT_EQ(counters.dropped, 0u);
  EXPECT_EQ(SpooledSpans(spool_dir_.path(), config_.endpoint), 2u);
}

TEST_F(OtlpExportPipelineTest, SpansAfterShutdownAreDroppedAndCounted) {
  auto pipeline = Start();
  pipeline->Shutdown(FarFuture());
  pipeline->OnSpanEnd(Span("late"));
  EXPECT_EQ(pipeline->Counters().dropped, 1u);
  pipeline->Shutdown(FarFuture());  // a second call is harmless
}

TEST_F(OtlpExportPipelineTest, DestructionWithoutShutdownLosesNothing) {
  script_->otherwise = Retryable(/*unreachable=*/true);
  Start()->OnSpanEnd(Span("a"));  // destroyed at once: Shutdown with a deadline of now
  EXPECT_EQ(SpooledSpans(spool_dir_.path(), config_.endpoint), 1u);
}

}  // namespace
}  // namespace weft::trace::otlp
