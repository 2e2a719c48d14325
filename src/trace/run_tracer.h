#pragma once

// Turns a run's events into spans (SPEC §5.3, §5.4): a root span `DAG: <name>` and a span
// `Step: <name>` per step, handed to the sinks as they end.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/run_info.h"
#include "trace/ids.h"
#include "trace/span.h"
#include "trace/trace_context.h"

namespace weft::trace {

struct RunTracerOptions {
  // Receives every span, sampled or not: the local trace record, so `weft trace` always works.
  SpanSink* record = nullptr;
  // Receive sampled spans only: the export pipeline.
  std::vector<SpanSink*> exporters;
  // From TRACEPARENT / TRACESTATE / BAGGAGE: the root span becomes a child of `parent`.
  InboundContext inbound;
  // Sampling of root runs (no inbound parent): the share of traces kept, 0..1. With a parent
  // the parent's sampled flag decides.
  double sample_ratio = 1.0;
  // Unix time in nanoseconds for events the engine did not time; default: the system clock.
  std::function<std::int64_t()> clock;
  // Hides the run's secret values in texts that may quote them (step and run errors, string
  // attributes of step events) before they enter a span; empty = texts go in as they are.
  std::function<std::string(std::string_view)> mask;
};

// The OpenTelemetry TraceIdRatioBased decision: keep the trace when the low 63 bits of the last
// 8 trace-id bytes fall below ratio * 2^63. Deterministic per trace id, so every process of a
// trace that uses the same ratio agrees. Ratios outside 0..1 (and NaN) are clamped (NaN = 0).
bool SampleTraceIdByRatio(const TraceId& trace_id, double ratio);

// A RunObserver that records one run as one trace. The trace id, root span id and sampling
// decision are fixed at construction, before the run starts, so the CLI can print and store
// them. Guarantees:
// - Every step in RunInfo::steps gets a span, a child of the root span: from its first
//   notification (running, an event, or AddStepEnvironment) to its final status. A step that
//   never ran (skipped, aborted, or left not_started when the run ended) gets a zero-length span
//   with its status. Handler steps get `Step: onSuccess` etc. with `step.handler`.
// - Retries: one span covers all attempts while the engine keeps the step non-final between
//   them (the `retry` events mark the attempts). If the engine reports a final status and then
//   runs the step again, the next run gets a new span; a repeated final notification for an
//   ended span is ignored.
// - Results (cicd.*.result): succeeded -> success, failed -> failure, or timeout when the step
//   had a `timeout` event or its error (the run's error, for the root) mentions "timeout" /
//   "timed out"; partially_succeeded -> failure (weft start exits 1); aborted -> cancellation;
//   skipped -> skip; anything not final when the span ends -> error.
// - failure, timeout and error set span status ERROR with a short description ("exit code 3",
//   else the error text, else the status) and error.type ("timeout", the exit code, else
//   "_OTHER"); other results leave the status UNSET.
// - Spans go to the sinks when they end, step spans before the root span (at OnRunFinished).
//   An unsampled run (flags 00) still hands every span to `record` and none to `exporters`.
// Not synchronised: call it from the engine's thread only.
class RunTracer : public engine::RunObserver {
 public:
  explicit RunTracer(RunTracerOptions options);

  const TraceId& trace_id() const { return trace_id_; }
  const SpanId& root_span_id() const { return root_span_id_; }
  bool sampled() const { return (flags_ & kSampledFlag) != 0; }

  void OnRunStarted(const engine::RunInfo& info) override;
  void OnStepChanged(const engine::RunInfo& info, std::size_t step) override;
  void OnStepEvent(const engine::RunInfo& info, std::size_t step,
                   const engine::StepEvent& event) override;
  void OnRunFinished(const engine::RunInfo& info) override;
  // Sets TRACEPARENT for the step's span (creating it if needed), TRACESTATE when the run has
  // one, BAGGAGE when weft received one; an existing entry of the same name is replaced.
  void AddStepEnvironment(const engine::RunInfo& info, std::size_t step,
                          std::vector<std::pair<std::string, std::string>>& env) override;

 private:
  struct StepSlot {
    std::optional<SpanData> open;  // the step's span while it has not ended
    bool timed_out = false;        // a `timeout` event arrived for the open span
    bool ran = false;              // the open span saw the step running or being started
    bool ever_spanned = false;
  };

  // The step's open span, created if needed; `start_ns` places a span that the engine has not
  // timed (0 = now).
  SpanData& OpenStepSpan(const engine::RunInfo& info, std::size_t step, std::int64_t start_ns = 0);
  void EndStepSpan(const engine::RunInfo& info, std::size_t step, std::int64_t end_ns);
  void Emit(const SpanData& span);
  std::int64_t Now() const;
  std::string Masked(std::string_view text) const;

  RunTracerOptions options_;
  IdGenerator ids_;
  TraceId trace_id_;
  SpanId root_span_id_;
  SpanId remote_parent_id_;
  std::uint8_t flags_ = 0;
  std::string trace_state_;  // forwarded form, recorded on every span
  std::int64_t root_start_ns_ = 0;
  bool finished_ = false;
  std::vector<StepSlot> steps_;
};

}  // namespace weft::trace
