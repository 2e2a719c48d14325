#include "trace/run_tracer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "trace/ids.h"

namespace weft::trace {
namespace {

using engine::HandlerKind;
using engine::RunInfo;
using engine::Status;
using engine::StepEvent;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// Keeps every span it is handed, in order, and how many it held at each StartFlush.
class RecordingSink : public SpanSink {
 public:
  void OnSpanEnd(const SpanData& span) override { spans.push_back(span); }
  void StartFlush() override { flushed_at.push_back(spans.size()); }
  void Shutdown(std::int64_t) override {}
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const SpanData& span : spans) names.push_back(span.name);
    return names;
  }
  const SpanData& Named(const std::string& name) const {
    for (const SpanData& span : spans) {
      if (span.name == name) return span;
    }
    ADD_FAILURE() << "no span named " << name;
    return spans.front();
  }
  std::vector<SpanData> spans;
  std::vector<std::size_t> flushed_at;
};

std::optional<AttributeValue> Attr(const SpanData& span, const std::string& key) {
  for (const auto& [k, v] : span.attributes) {
    if (k == key) return v;
  }
  return std::nullopt;
}

AttributeValue Str(const char* text) { return std::string(text); }
AttributeValue Int(std::int64_t value) { return value; }

engine::StepState StateOf(const dag::Step* step, HandlerKind handler = HandlerKind::kNone) {
  engine::StepState state;
  state.step = step;
  state.handler = handler;
  return state;
}

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSecond;

class RunTracerTest : public ::testing::Test {
 protected:
  RunTracerTest() {
    auto dag = std::make_shared<dag::Dag>();
    dag->name = "etl";
    for (const char* name : {"extract", "load", "report"}) {
      dag::Step step;
      step.name = name;
      dag->steps.push_back(step);
    }
    dag->handler_on.success = dag::Step{};
    dag->handler_on.success->name = "onSuccess";
    info_.dag = dag;
    info_.run_id = "run-1";
    info_.status = Status::kRunning;
    info_.started_at_ns = kT0;
    for (const dag::Step& step : dag->steps) info_.steps.push_back(StateOf(&step));
  }

  RunTracerOptions Options() {
    RunTracerOptions options;
    options.record = &record_;
    options.exporters = {&exporter_};
    options.clock = [this] { return now_; };
    return options;
  }

  // The step runs from `start` to `end` seconds after kT0 with the given outcome.
  void RunStep(RunTracer& tracer, std::size_t index, int start, int end, Status status,
               int exit_code) {
    engine::StepState& state = info_.steps[index];
    state.status = Status::kRunning;
    state.started_at_ns = kT0 + start * kSecond;
    state.pid = 4000 + static_cast<int>(index);
    tracer.OnStepChanged(info_, index);
    state.status = status;
    state.exit_code = exit_code;
    state.finished_at_ns = kT0 + end * kSecond;
    tracer.OnStepChanged(info_, index);
  }

  void FinishRun(RunTracer& tracer, Status status, int end = 10) {
    info_.status = status;
    info_.finished_at_ns = kT0 + end * kSecond;
    tracer.OnRunFinished(info_);
  }

  // Runs every DAG step to success.
  void RunAllSucceeded(RunTracer& tracer) {
    tracer.OnRunStarted(info_);
    for (std::size_t i = 0; i < 3; ++i)
      RunStep(tracer, i, int(i), int(i) + 1, Status::kSucceeded, 0);
    FinishRun(tracer, Status::kSucceeded);
  }

  std::vector<std::pair<std::string, std::string>> EnvFor(RunTracer& tracer, std::size_t index) {
    std::vector<std::pair<std::string, std::string>> env;
    tracer.AddStepEnvironment(info_, index, env);
    return env;
  }

  RunInfo info_;
  RecordingSink record_;
  RecordingSink exporter_;
  std::int64_t now_ = kT0 + 99 * kSecond;
};

TEST_F(RunTracerTest, TraceIdIsDecidedBeforeTheRun) {
  RunTracer tracer(Options());
  EXPECT_TRUE(tracer.trace_id().IsValid());
  EXPECT_TRUE(tracer.root_span_id().IsValid());
  EXPECT_TRUE(tracer.sampled());
  EXPECT_THAT(record_.spans, IsEmpty());
  RunAllSucceeded(tracer);
  for (const SpanData& span : record_.spans) EXPECT_EQ(span.trace_id, tracer.trace_id());
}

// The exporters start on the last batch as soon as the DAG's span, the run's last, is handed over.
TEST_F(RunTracerTest, ExportersStartFlushingAfterTheRunSpan) {
  RunTracer tracer(Options());
  tracer.OnRunStarted(info_);
  RunStep(tracer, 0, 0, 1, Status::kSucceeded, 0);
  EXPECT_THAT(exporter_.flushed_at, IsEmpty());
  FinishRun(tracer, Status::kSucceeded);
  EXPECT_EQ(exporter_.Names().back(), "DAG: etl");
  EXPECT_THAT(exporter_.flushed_at, ElementsAre(exporter_.spans.size()));
  EXPECT_THAT(record_.flushed_at, IsEmpty());  // the record is written at Shutdown
}

TEST_F(RunTracerTest, SpanTreeAndOrder) {
  RunTracer tracer(Options());
  RunAllSucceeded(tracer);
  EXPECT_THAT(record_.Names(),
              ElementsAre("Step: extract", "Step: load", "Step: report", "DAG: etl"));
  const SpanData& root = record_.spans.back();
  EXPECT_EQ(root.span_id, tracer.root_span_id());
  EXPECT_FALSE(root.parent_span_id.IsValid());
  EXPECT_EQ(root.kind, SpanKind::kServer);
  EXPECT_EQ(root.start_ns, kT0);
  EXPECT_EQ(root.end_ns, kT0 + 10 * kSecond);
  EXPECT_EQ(root.flags, 1u);
  for (std::size_t i = 0; i < 3; ++i) {
    const SpanData& step = record_.spans[i];
    EXPECT_EQ(step.kind, SpanKind::kInternal);
    EXPECT_EQ(step.parent_span_id, tracer.root_span_id());
    EXPECT_TRUE(step.span_id.IsValid());
    EXPECT_NE(step.span_id, root.span_id);
    EXPECT_EQ(step.start_ns, kT0 + static_cast<std::int64_t>(i) * kSecond);
    EXPECT_EQ(step.end_ns, kT0 + static_cast<std::int64_t>(i + 1) * kSecond);
    EXPECT_EQ(step.flags, 1u);
  }
  EXPECT_NE(record_.spans[0].span_id, record_.spans[1].span_id);
  EXPECT_EQ(exporter_.Names(), record_.Names());
}

TEST_F(RunTracerTest, RootAttributesOfASucceededRun) {
  RunTracer tracer(Options());
  RunAllSucceeded(tracer);
  const SpanData& root = record_.spans.back();
  EXPECT_THAT(
      root.attributes,
      ElementsAre(Pair("dag.name", Str("etl")), Pair("dag.run_id", Str("run-1")),
                  Pair("dag.root_run_id", Str("run-1")), Pair("dag.status", Str("succeeded")),
                  Pair("cicd.pipeline.name", Str("etl")),
                  Pair("cicd.pipeline.run.id", Str("run-1")),
                  Pair("cicd.pipeline.action.name", Str("RUN")),
                  Pair("cicd.pipeline.result", Str("success"))));
  EXPECT_EQ(root.status, StatusCode::kUnset);
  EXPECT_EQ(root.status_message, "");
}

TEST_F(RunTracerTest, StepAttributesOfASucceededStep) {
  RunTracer tracer(Options());
  RunAllSucceeded(tracer);
  const SpanData& step = record_.spans[1];
  EXPECT_THAT(
      step.attributes,
      ElementsAre(Pair("step.name", Str("load")), Pair("step.status", Str("succeeded")),
                  Pair("step.exit_code", Int(0)), Pair("cicd.pipeline.task.name", Str("load")),
                  Pair("cicd.pipeline.task.run.id", Str("run-1/load")),
                  Pair("cicd.pipeline.task.run.result", Str("success")),
                  Pair("process.pid", Int(4001)), Pair("step.retry_count", Int(0))));
  EXPECT_EQ(step.status, StatusCode::kUnset);
}

TEST_F(RunTracerTest, NestedRunNamesItsParentAndRoot) {
  info_.parent = engine::RunRef{"caller", "run-0"};
  info_.root = engine::RunRef{"top", "run-top"};
  RunTracer tracer(Options());
  RunAllSucceeded(tracer);
  const SpanData& root = record_.spans.back();
  EXPECT_EQ(Attr(root, "dag.parent_run_id"), Str("run-0"));
  EXPECT_EQ(Attr(root, "dag.parent_name"), Str("caller"));
  EXPECT_EQ(Attr(root, "dag.root_run_id"), Str("run-top"));
  EXPECT_EQ(root.attributes[2].first, "dag.parent_run_id");
}

TEST_F(RunTracerTest, FailedStepHasErrorStatusAndType) {
  RunTracer tracer(Options());
  tracer.OnRunStarted(info_);
  info_.steps[0].error = "exit status 3";
  RunStep(tracer, 0, 0, 1, Status::kFailed, 3);
  info_.error = "step extract failed";
  FinishRun(tracer, Status::kFailed);
  const SpanData& step = record_.Named("Step: extract");
  EXPECT_EQ(step.status, StatusCode::kError);
  EXPECT_EQ(step.status_message, "exit code 3");
  EXPECT_EQ(Attr(step, "step.exit_code"), Int(3));
  EXPECT_EQ(Attr(step, "step.status"), Str("failed"));
  EXPECT_EQ(Attr(step, "cicd.pipeline.task.run.result"), Str("failure"));
  EXPECT_EQ(Attr(step, "error.type"), Str("3"));
  const SpanData& root = record_.Named("DAG: etl");
  EXPECT_EQ(root.status, StatusCode::kError);
  EXPECT_EQ(root.status_message, "step extract failed");
  EXPECT_EQ(Attr(root, "dag.status"), Str("failed"));
  EXPECT_EQ(Attr(root, "cicd.pipeline.result"), Str("failure"));
  EXPECT_EQ(Attr(root, "error.type"), Str("_OTHER"));
}

// Errors and event texts may quote a command line with a secret expanded into it; spans leave
// the machine, so the run's masker sees them first.
TEST_F(RunTracerTest, ErrorsAndEventTextsAreMasked) {
  RunTracerOptions options = Options();
  options.mask = [](std::string_view text) {
    std::string out(text);
    for (std::size_t at; (at = out.find("s3cret")) != std::string::npos;) out.replace(at, 6, "***");
    return out;
  };
  RunTracer tracer(std::move(options));
  tracer.OnRunStarted(info_);
  tracer.OnStepEvent(info_, 0,
                     {"precondition.unmet", kT0, {{"reason", std::string("token=s3cret")}}});
  info_.steps[0].error = "cannot start /bin/s3cret";
  RunStep(tracer, 0, 0, 1, Status::kFailed, -1);
  info_.error = "step extract failed: s3cret";
  FinishRun(tracer, Status::kFailed);
  const SpanData& step = record_.Named("Step: extract");
  EXPECT_EQ(step.status_message, "cannot start /bin/***");
  ASSERT_EQ(step.events.size(), 1u);
  EXPECT_THAT(step.events[0].attributes, ElementsAre(Pair("reason", Str("token=***"))));
  EXPECT_EQ(record_.Named("DAG: etl").status_message, "step extract failed: ***");
}

TEST_F(RunTracerTest, FailureWithoutAnExitCode) {
  RunTracer tracer(Options());
  info_.steps[0].error = "output exceeds max_output_size";
  RunStep(tracer, 0, 0, 1, Status::kFailed, -1);
  FinishRun(tracer, Status::kFailed);
  const SpanData& step = record_.Named("Step: extract");
  EXPECT_EQ(step.status, StatusCode::kError);
  EXPECT_EQ(step.status_message, "output exceeds max_output_size");
  EXPECT_EQ(Attr(step, "error.type"), Str("_OTHER"));
  EXPECT_EQ(Attr(step, "step.exit_code"), std::nullopt);
  EXPECT_EQ(record_.Named("DAG: etl").status_message, "failed");  // no run error: the status
}

TEST_F(RunTracerTest, StepTimeoutFromItsEvent) {
  RunTracer tracer(Options());
  engine::StepState& state = info_.steps[0];
  state.status = Status::kRunning;
  state.started_at_ns = kT0;
  tracer.OnStepChanged(info_, 0);
  StepEvent timeout{"timeout", kT0 + 5 * kSecond, {{"timeout_sec", std::int64_t{5}}}};
  tracer.OnStepEvent(info_, 0, timeout);
  state.status = Status::kFailed;
  state.exit_code = 124;
  state.error = "killed after 5s";
  state.finished_at_ns = kT0 + 6 * kSecond;
  tracer.OnStepChanged(info_, 0);
  const SpanData& step = record_.Named("Step: extract");
  EXPECT_EQ(Attr(step, "cicd.pipeline.task.run.result"), Str("timeout"));
  EXPECT_EQ(Attr(step, "error.type"), Str("timeout"));
  EXPECT_EQ(Attr(step, "step.exit_code"), Int(124));
  EXPECT_EQ(step.status, StatusCode::kError);
  EXPECT_EQ(step.status_message, "killed after 5s");
  ASSERT_EQ(step.events.size(), 1u);
  EXPECT_EQ(step.events[0].name, "timeout");
  EXPECT_EQ(step.events[0].time_ns, kT0 + 5 * kSecond);
  EXPECT_THAT(step.events[0].attributes, ElementsAre(Pair("timeout_sec", Int(5))));
}

TEST_F(RunTracerTest, StepTimeoutFromItsErrorText) {
  RunTracer tracer(Options());
  info_.steps[0].error = "Timed out after 5s";
  RunStep(tracer, 0, 0, 5, Status::kFailed, 124);
  const SpanData& step = record_.Named("Step: extract");
  EXPECT_EQ(Attr(step, "cicd.pipeline.task.run.result"), Str("timeout"));
  EXPECT_EQ(step.status_message, "Timed out after 5s");
}

TEST_F(RunTracerTest, RunTimeoutFromItsError) {
  RunTracer tracer(Options());
  info_.error = "run timeout (60s) exceeded";
  FinishRun(tracer, Status::kFailed);
  const SpanData& root = record_.Named("DAG: etl");
  EXPECT_EQ(Attr(root, "cicd.pipeline.result"), Str("timeout"));
  EXPECT_EQ(Attr(root, "error.type"), Str("timeout"));
  EXPECT_EQ(root.status_message, "run timeout (60s) exceeded");
}

TEST_F(RunTracerTest, PartiallySucceededRunIsAFailure) {
  RunTracer tracer(Options());
  FinishRun(tracer, Status::kPartiallySucceeded);
  const SpanData& root = record_.Named("DAG: etl");
  EXPECT_EQ(Attr(root, "cicd.pipeline.result"), Str("failure"));
  EXPECT_EQ(root.status, StatusCode::kError);
  EXPECT_EQ(root.status_message, "partially_succeeded");
}

TEST_F(RunTracerTest, AbortedRunIsACancellationWithoutError) {
  RunTracer tracer(Options());
  info_.error = "stopped by signal";
  FinishRun(tracer, Status::kAborted);
  const SpanData& root = record_.Named("DAG: etl");
  EXPECT_EQ(Attr(root, "cicd.pipeline.result"), Str("cancellation"));
  EXPECT_EQ(root.status, StatusCode::kUnset);
  EXPECT_EQ(Attr(root, "error.type"), std::nullopt);
}

TEST_F(RunTracerTest, StepsThatNeverRanGetZeroLengthSpans) {
  RunTracer tracer(Options());
  tracer.OnRunStarted(info_);
  RunStep(tracer, 0, 0, 1, Status::kFailed, 1);
  engine::StepState& aborted = info_.steps[1];
  aborted.status = Status::kAborted;
  aborted.error = "dependency extract failed";
  aborted.finished_at_ns = kT0 + 1 * kSecond;
  tracer.OnStepChanged(info_, 1);
  engine::StepState& skipped = info_.steps[2];
  tracer.OnStepEvent(info_, 2, {"precondition.unmet", kT0 + 2 * kSecond, {}});
  skipped.status = Status::kSkipped;
  skipped.finished_at_ns = kT0 + 2 * kSecond;
  tracer.OnStepChanged(info_, 2);

  const SpanData& load = record_.Named("Step: load");
  EXPECT_EQ(load.start_ns, kT0 + kSecond);
  EXPECT_EQ(load.end_ns, load.start_ns);
  EXPECT_EQ(load.parent_span_id, tracer.root_span_id());
  EXPECT_EQ(Attr(load, "step.status"), Str("aborted"));
  EXPECT_EQ(Attr(load, "cicd.pipeline.task.run.result"), Str("cancellation"));
  EXPECT_EQ(Attr(load, "step.exit_code"), std::nullopt);
  EXPECT_EQ(Attr(load, "process.pid"), std::nullopt);
  EXPECT_EQ(load.status, StatusCode::kUnset);

  const SpanData& report = record_.Named("Step: report");
  EXPECT_EQ(report.start_ns, kT0 + 2 * kSecond);
  EXPECT_EQ(report.end_ns, report.start_ns);
  EXPECT_EQ(Attr(report, "step.status"), Str("skipped"));
  EXPECT_EQ(Attr(report, "cicd.pipeline.task.run.result"), Str("skip"));
  ASSERT_EQ(report.events.size(), 1u);
  EXPECT_EQ(report.events[0].name, "precondition.unmet");
  EXPECT_EQ(report.status, StatusCode::kUnset);
}

TEST_F(RunTracerTest, StepsTheEngineNeverReportedAppearAtRunEnd) {
  RunTracer tracer(Options());
  tracer.OnRunStarted(info_);
  RunStep(tracer, 0, 0, 1, Status::kSucceeded, 0);
  info_.steps[1].status = Status::kRunning;
  info_.steps[1].started_at_ns = kT0 + kSecond;
  tracer.OnStepChanged(info_, 1);  // still running when the run ends
  FinishRun(tracer, Status::kFailed, 7);
  EXPECT_THAT(record_.Names(),
              ElementsAre("Step: extract", "Step: load", "Step: report", "DAG: etl"));
  const SpanData& load = record_.Named("Step: load");
  EXPECT_EQ(load.end_ns, kT0 + 7 * kSecond);
  EXPECT_EQ(Attr(load, "cicd.pipeline.task.run.result"), Str("error"));
  EXPECT_EQ(load.status, StatusCode::kError);
  EXPECT_EQ(load.status_message, "running");
  const SpanData& report = record_.Named("Step: report");
  EXPECT_EQ(Attr(report, "step.status"), Str("not_started"));
  EXPECT_EQ(report.start_ns, kT0 + 7 * kSecond);  // placed at the end of the run
  EXPECT_EQ(report.end_ns, report.start_ns);
}

TEST_F(RunTracerTest, HandlerStepsAreNamedByTheirHandler) {
  info_.steps.push_back(StateOf(&*info_.dag->handler_on.success, HandlerKind::kSuccess));
  RunTracer tracer(Options());
  RunStep(tracer, 3, 4, 5, Status::kSucceeded, 0);
  const SpanData& handler = record_.spans.at(0);
  EXPECT_EQ(handler.name, "Step: onSuccess");
  EXPECT_EQ(handler.parent_span_id, tracer.root_span_id());
  EXPECT_EQ(Attr(handler, "step.name"), Str("onSuccess"));
  EXPECT_EQ(Attr(handler, "step.handler"), Str("success"));
  EXPECT_EQ(Attr(handler, "cicd.pipeline.task.name"), Str("onSuccess"));
}

TEST_F(RunTracerTest, EveryHandlerKindHasItsName) {
  const std::vector<std::pair<HandlerKind, std::string>> kinds = {
      {HandlerKind::kInit, "init"},
      {HandlerKind::kSuccess, "success"},
      {HandlerKind::kFailure, "failure"},
      {HandlerKind::kAbort, "abort"},
      {HandlerKind::kExit, "exit"}};
  for (const auto& [kind, key] : kinds) {
    info_.steps.push_back(StateOf(nullptr, kind));
  }
  RunTracer tracer(Options());
  FinishRun(tracer, Status::kSucceeded);
  EXPECT_THAT(record_.Names(), ElementsAre("Step: extract", "Step: load", "Step: report",
                                           "Step: onInit", "Step: onSuccess", "Step: onFailure",
                                           "Step: onAbort", "Step: onExit", "DAG: etl"));
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(Attr(record_.spans[3 + i], "step.handler"), AttributeValue(kinds[i].second));
  }
}

TEST_F(RunTracerTest, RetriesStayInOneSpanWithEvents) {
  RunTracer tracer(Options());
  engine::StepState& state = info_.steps[0];
  state.status = Status::kRunning;
  state.started_at_ns = kT0;
  state.pid = 10;
  tracer.OnStepChanged(info_, 0);
  std::string first_env = EnvFor(tracer, 0)[0].second;
  tracer.OnStepEvent(
      info_, 0,
      {"retry", kT0 + kSecond, {{"attempt", std::int64_t{1}}, {"exit_code", std::int64_t{2}}}});
  state.retry_count = 1;
  state.pid = 11;
  state.started_at_ns = kT0 + 2 * kSecond;
  tracer.OnStepChanged(info_, 0);
  EXPECT_EQ(EnvFor(tracer, 0)[0].second, first_env);
  state.status = Status::kSucceeded;
  state.exit_code = 0;
  state.finished_at_ns = kT0 + 3 * kSecond;
  tracer.OnStepChanged(info_, 0);
  ASSERT_EQ(record_.spans.size(), 1u);
  const SpanData& step = record_.spans[0];
  EXPECT_EQ(step.start_ns, kT0);
  EXPECT_EQ(step.end_ns, kT0 + 3 * kSecond);
  EXPECT_EQ(Attr(step, "step.retry_count"), Int(1));
  EXPECT_EQ(Attr(step, "process.pid"), Int(11));
  ASSERT_EQ(step.events.size(), 1u);
  EXPECT_EQ(step.events[0].name, "retry");
  EXPECT_THAT(step.events[0].attributes,
              ElementsAre(Pair("attempt", Int(1)), Pair("exit_code", Int(2))));
}

TEST_F(RunTracerTest, RunningAgainAfterAFinalStatusStartsANewSpan) {
  RunTracer tracer(Options());
  RunStep(tracer, 0, 0, 1, Status::kFailed, 1);
  tracer.OnStepChanged(info_, 0);  // the same final status again: ignored
  RunStep(tracer, 0, 2, 3, Status::kSucceeded, 0);
  ASSERT_EQ(record_.spans.size(), 2u);
  EXPECT_NE(record_.spans[0].span_id, record_.spans[1].span_id);
  EXPECT_EQ(Attr(record_.spans[0], "step.status"), Str("failed"));
  EXPECT_EQ(Attr(record_.spans[1], "step.status"), Str("succeeded"));
  FinishRun(tracer, Status::kSucceeded);
  EXPECT_EQ(record_.spans.size(), 5u);  // + load, report, root; extract not repeated
}

TEST_F(RunTracerTest, EventWithoutATimeUsesTheClock) {
  RunTracer tracer(Options());
  tracer.OnStepEvent(info_, 0, {"signal", 0, {}});
  FinishRun(tracer, Status::kAborted);
  EXPECT_EQ(record_.Named("Step: extract").events.at(0).time_ns, now_);
}

TEST_F(RunTracerTest, TraceParentOfAStepMatchesItsSpan) {
  RunTracer tracer(Options());
  std::vector<std::pair<std::string, std::string>> env = EnvFor(tracer, 1);
  RunStep(tracer, 1, 0, 1, Status::kSucceeded, 0);
  const SpanData& span = record_.Named("Step: load");
  EXPECT_THAT(env, ElementsAre(Pair("TRACEPARENT", "00-" + tracer.trace_id().Hex() + "-" +
                                                       span.span_id.Hex() + "-01")));
}

TEST_F(RunTracerTest, EachStepGetsItsOwnTraceParent) {
  RunTracer tracer(Options());
  RunStep(tracer, 0, 0, 1, Status::kSucceeded, 0);
  info_.steps[1].status = Status::kRunning;
  tracer.OnStepChanged(info_, 1);
  std::string load = EnvFor(tracer, 1)[0].second;
  std::string report = EnvFor(tracer, 2)[0].second;
  EXPECT_NE(load, report);
  std::optional<SpanContext> parsed = ParseTraceParent(load);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->trace_id, tracer.trace_id());
  EXPECT_NE(parsed->span_id, tracer.root_span_id());
}

TEST_F(RunTracerTest, EnvironmentEntriesAreReplacedNotDuplicated) {
  RunTracer tracer(Options());
  std::vector<std::pair<std::string, std::string>> env = {{"PATH", "/bin"},
                                                          {"TRACEPARENT", "stale"}};
  tracer.AddStepEnvironment(info_, 0, env);
  ASSERT_EQ(env.size(), 2u);
  EXPECT_EQ(env[0], std::make_pair(std::string("PATH"), std::string("/bin")));
  EXPECT_EQ(env[1].first, "TRACEPARENT");
  EXPECT_TRUE(ParseTraceParent(env[1].second));
}

RunTracerOptions WithInbound(RunTracerOptions options, std::string_view traceparent,
                             std::string_view tracestate = "", std::string baggage = "") {
  options.inbound.parent = ParseTraceParent(traceparent);
  if (!tracestate.empty()) options.inbound.trace_state = *ParseTraceState(tracestate);
  options.inbound.baggage = std::move(baggage);
  return options;
}

TEST_F(RunTracerTest, InboundParentIsHonoured) {
  RunTracer tracer(WithInbound(Options(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                               "rojo=1,congo=2", "user=alice"));
  EXPECT_EQ(tracer.trace_id().Hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(tracer.sampled());
  EXPECT_THAT(EnvFor(tracer, 0),
              ElementsAre(Pair("TRACEPARENT",
                               ::testing::StartsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-")),
                          Pair("TRACESTATE", "rojo=1,congo=2"), Pair("BAGGAGE", "user=alice")));
  RunAllSucceeded(tracer);
  const SpanData& root = record_.spans.back();
  EXPECT_EQ(root.parent_span_id.Hex(), "00f067aa0ba902b7");
  EXPECT_EQ(root.trace_state, "rojo=1,congo=2");
  EXPECT_EQ(record_.spans[0].trace_state, "rojo=1,congo=2");
  EXPECT_EQ(record_.spans[0].parent_span_id, root.span_id);
}

TEST_F(RunTracerTest, UnsampledInboundParentKeepsSpansLocal) {
  RunTracer tracer(
      WithInbound(Options(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
  EXPECT_FALSE(tracer.sampled());
  std::string traceparent = EnvFor(tracer, 0)[0].second;
  EXPECT_TRUE(ParseTraceParent(traceparent));
  EXPECT_EQ(traceparent.substr(traceparent.size() - 3), "-00");
  RunAllSucceeded(tracer);
  EXPECT_THAT(exporter_.spans, IsEmpty());
  ASSERT_EQ(record_.spans.size(), 4u);
  for (const SpanData& span : record_.spans) EXPECT_EQ(span.flags, 0u);
}

TEST_F(RunTracerTest, RatioDecidesRootRuns) {
  RunTracerOptions never = Options();
  never.sample_ratio = 0;
  RunTracer unsampled(never);
  EXPECT_FALSE(unsampled.sampled());
  RunAllSucceeded(unsampled);
  EXPECT_THAT(exporter_.spans, IsEmpty());
  EXPECT_EQ(record_.spans.size(), 4u);
}

TEST_F(RunTracerTest, InboundSampledFlagWinsOverTheRatio) {
  RunTracerOptions options =
      WithInbound(Options(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  options.sample_ratio = 0;
  EXPECT_TRUE(RunTracer(options).sampled());
}

TEST_F(RunTracerTest, WorksWithoutSinks) {
  RunTracer tracer(RunTracerOptions{});
  std::vector<std::pair<std::string, std::string>> env = EnvFor(tracer, 0);
  ASSERT_EQ(env.size(), 1u);
  EXPECT_TRUE(ParseTraceParent(env[0].second));
  RunAllSucceeded(tracer);
  EXPECT_THAT(record_.spans, IsEmpty());
}

TEST_F(RunTracerTest, NothingAfterTheRunFinished) {
  RunTracer tracer(Options());
  RunAllSucceeded(tracer);
  tracer.OnRunFinished(info_);
  tracer.OnStepEvent(info_, 0, {"late", kT0, {}});
  RunStep(tracer, 0, 11, 12, Status::kSucceeded, 0);
  EXPECT_EQ(record_.spans.size(), 4u);
}

TEST_F(RunTracerTest, OutOfRangeStepIndexIsIgnored) {
  RunTracer tracer(Options());
  tracer.OnStepChanged(info_, 99);
  tracer.OnStepEvent(info_, 99, {"retry", kT0, {}});
  std::vector<std::pair<std::string, std::string>> env;
  tracer.AddStepEnvironment(info_, 99, env);
  EXPECT_THAT(env, IsEmpty());
  EXPECT_THAT(record_.spans, IsEmpty());
}

TraceId WithLowBytes(std::array<std::uint8_t, 8> low) {
  TraceId id;
  id.bytes[0] = 0xff;
  std::copy(low.begin(), low.end(), id.bytes.begin() + 8);
  return id;
}

TEST(SampleTraceIdByRatioTest, ComparesTheLow63BitsWithTheRatio) {
  TraceId just_below_half = WithLowBytes({0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  TraceId half = WithLowBytes({0x80, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(SampleTraceIdByRatio(just_below_half, 0.5));
  EXPECT_FALSE(SampleTraceIdByRatio(half, 0.5));
  EXPECT_TRUE(SampleTraceIdByRatio(half, 0.51));
  TraceId zero_low = WithLowBytes({0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(SampleTraceIdByRatio(zero_low, 0.0001));
  TraceId all_ones = WithLowBytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  EXPECT_FALSE(SampleTraceIdByRatio(all_ones, 0.9999));
}

TEST(SampleTraceIdByRatioTest, RatiosOutsideTheRangeAreClamped) {
  TraceId zero_low = WithLowBytes({0, 0, 0, 0, 0, 0, 0, 0});
  TraceId all_ones = WithLowBytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  EXPECT_FALSE(SampleTraceIdByRatio(zero_low, 0));
  EXPECT_FALSE(SampleTraceIdByRatio(zero_low, -1));
  EXPECT_FALSE(SampleTraceIdByRatio(zero_low, std::nan("")));
  EXPECT_TRUE(SampleTraceIdByRatio(all_ones, 1));
  EXPECT_TRUE(SampleTraceIdByRatio(all_ones, 7));
}

}  // namespace
}  // namespace weft::trace
