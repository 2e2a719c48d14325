#include "trace/run_tracer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <string_view>

#include "engine/status.h"

namespace weft::trace {
namespace {

using engine::HandlerKind;
using engine::RunInfo;
using engine::Status;
using engine::StepState;

std::string_view HandlerKey(HandlerKind kind) {
  switch (kind) {
    case HandlerKind::kInit:
      return "init";
    case HandlerKind::kSuccess:
      return "success";
    case HandlerKind::kFailure:
      return "failure";
    case HandlerKind::kAbort:
      return "abort";
    case HandlerKind::kExit:
      return "exit";
    case HandlerKind::kNone:
      break;
  }
  return "";
}

// "onSuccess" for handler_on.success, and so on.
std::string HandlerStepName(HandlerKind kind) {
  std::string key(HandlerKey(kind));
  key[0] = static_cast<char>(key[0] - 'a' + 'A');
  return "on" + key;
}

std::string StepName(const StepState& state, std::size_t index) {
  if (state.handler != HandlerKind::kNone) return HandlerStepName(state.handler);
  if (state.step != nullptr && !state.step->name.empty()) return state.step->name;
  return fmt::format("step {}", index + 1);
}

bool MentionsTimeout(std::string_view error) {
  std::string lower(error);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("timeout") != std::string::npos || lower.find("timed out") != std::string::npos;
}

std::string_view CicdResult(Status status, bool timed_out) {
  switch (status) {
    case Status::kSucceeded:
      return "success";
    case Status::kFailed:
      return timed_out ? "timeout" : "failure";
    case Status::kPartiallySucceeded:
      return "failure";
    case Status::kAborted:
      return "cancellation";
    case Status::kSkipped:
      return "skip";
    default:
      return "error";
  }
}

bool IsErrorResult(std::string_view result) {
  return result == "failure" || result == "timeout" || result == "error";
}

// Sets ERROR status and error.type when the result is a failure of some kind.
void SetOutcome(SpanData& span, std::string_view result, int exit_code, std::string_view error,
                Status status) {
  if (!IsErrorResult(result)) return;
  span.status = StatusCode::kError;
  std::string type;
  if (result == "timeout") {
    type = "timeout";
    span.status_message = error.empty() ? "timeout" : std::string(error);
  } else if (exit_code > 0) {
    type = std::to_string(exit_code);
    span.status_message = fmt::format("exit code {}", exit_code);
  } else {
    type = "_OTHER";
    span.status_message =
        error.empty() ? std::string(engine::ToString(status)) : std::string(error);
  }
  span.attributes.emplace_back("error.type", std::move(type));
}

void SetEnv(std::vector<std::pair<std::string, std::string>>& env, std::string name,
            std::string value) {
  auto it = std::find_if(env.begin(), env.end(), [&](const auto& e) { return e.first == name; });
  if (it != env.end()) {
    it->second = std::move(value);
  } else {
    env.emplace_back(std::move(name), std::move(value));
  }
}

std::int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool SampleTraceIdByRatio(const TraceId& trace_id, double ratio) {
  if (!(ratio > 0)) return false;
  if (ratio >= 1) return true;
  std::uint64_t low = 0;
  for (std::size_t i = 8; i < 16; ++i) low = low << 8 | trace_id.bytes[i];
  auto bound = static_cast<std::uint64_t>(ratio * std::ldexp(1.0, 63));
  return (low >> 1) < bound;
}

RunTracer::RunTracer(RunTracerOptions options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = SystemNow;
  const std::optional<SpanContext>& parent = options_.inbound.parent;
  if (parent) {
    trace_id_ = parent->trace_id;
    remote_parent_id_ = parent->span_id;
    flags_ = parent->sampled() ? kSampledFlag : 0;
    trace_state_ = FormatTraceState(options_.inbound.trace_state);
  } else {
    trace_id_ = ids_.NewTraceId();
    flags_ = SampleTraceIdByRatio(trace_id_, options_.sample_ratio) ? kSampledFlag : 0;
  }
  root_span_id_ = ids_.NewSpanId();
}

std::int64_t RunTracer::Now() const { return options_.clock(); }

std::string RunTracer::Masked(std::string_view text) const {
  return options_.mask ? options_.mask(text) : std::string(text);
}

void RunTracer::OnRunStarted(const RunInfo& info) {
  root_start_ns_ = info.started_at_ns != 0 ? info.started_at_ns : Now();
}

SpanData& RunTracer::OpenStepSpan(const RunInfo& info, std::size_t step, std::int64_t start_ns) {
  if (steps_.size() <= step) steps_.resize(step + 1);
  StepSlot& slot = steps_[step];
  if (slot.open) return *slot.open;
  const StepState& state = info.steps[step];
  SpanData& span = slot.open.emplace();
  slot.timed_out = false;
  slot.ran = false;
  slot.ever_spanned = true;
  span.trace_id = trace_id_;
  span.span_id = ids_.NewSpanId();
  span.parent_span_id = root_span_id_;
  span.trace_state = trace_state_;
  span.flags = flags_;
  span.name = "Step: " + StepName(state, step);
  span.kind = SpanKind::kInternal;
  span.start_ns = state.started_at_ns != 0 ? state.started_at_ns : start_ns != 0 ? start_ns : Now();
  return span;
}

void RunTracer::EndStepSpan(const RunInfo& info, std::size_t step, std::int64_t end_ns) {
  StepSlot& slot = steps_[step];
  SpanData span = std::move(*slot.open);
  slot.open.reset();
  const StepState& state = info.steps[step];
  std::string name = StepName(state, step);
  std::string_view result =
      CicdResult(state.status, slot.timed_out || MentionsTimeout(state.error));
  if (!slot.ran && state.started_at_ns == 0) {
    // Never ran (skipped, aborted): a zero-length span at the time it was decided.
    span.start_ns = state.finished_at_ns != 0 ? state.finished_at_ns : span.start_ns;
    span.end_ns = span.start_ns;
  } else {
    span.end_ns = std::max(end_ns, span.start_ns);
  }
  span.attributes = {
      {"step.name", name},
      {"step.status", std::string(engine::ToString(state.status))},
  };
  if (state.exit_code >= 0) {
    span.attributes.emplace_back("step.exit_code", std::int64_t{state.exit_code});
  }
  span.attributes.emplace_back("cicd.pipeline.task.name", name);
  span.attributes.emplace_back("cicd.pipeline.task.run.id",
                               fmt::format("{}/{}", info.run_id, name));
  span.attributes.emplace_back("cicd.pipeline.task.run.result", std::string(result));
  if (state.pid > 0) span.attributes.emplace_back("process.pid", std::int64_t{state.pid});
  span.attributes.emplace_back("step.retry_count", std::int64_t{state.retry_count});
  if (state.handler != HandlerKind::kNone) {
    span.attributes.emplace_back("step.handler", std::string(HandlerKey(state.handler)));
  }
  SetOutcome(span, result, state.exit_code, Masked(state.error), state.status);
  Emit(span);
}

void RunTracer::OnStepChanged(const RunInfo& info, std::size_t step) {
  if (finished_ || step >= info.steps.size()) return;
  const StepState& state = info.steps[step];
  if (state.status == Status::kRunning) {
    OpenStepSpan(info, step);
    steps_[step].ran = true;
    return;
  }
  if (!engine::IsFinal(state.status)) return;
  bool open = step < steps_.size() && steps_[step].open;
  bool ever_spanned = step < steps_.size() && steps_[step].ever_spanned;
  if (!open && ever_spanned) return;  // a repeated final notification
  SpanData& span = OpenStepSpan(info, step);
  EndStepSpan(info, step, state.finished_at_ns != 0 ? state.finished_at_ns : span.start_ns);
}

void RunTracer::OnStepEvent(const RunInfo& info, std::size_t step, const engine::StepEvent& event) {
  if (finished_ || step >= info.steps.size()) return;
  std::int64_t time_ns = event.time_ns != 0 ? event.time_ns : Now();
  SpanData& span = OpenStepSpan(info, step, time_ns);
  Attributes attributes(event.attributes.begin(), event.attributes.end());
  for (auto& [key, value] : attributes) {
    if (auto* text = std::get_if<std::string>(&value)) *text = Masked(*text);
  }
  span.events.push_back({event.name, time_ns, std::move(attributes)});
  if (event.name == "timeout") steps_[step].timed_out = true;
}

void RunTracer::AddStepEnvironment(const RunInfo& info, std::size_t step,
                                   std::vector<std::pair<std::string, std::string>>& env) {
  if (finished_ || step >= info.steps.size()) return;
  const SpanData& span = OpenStepSpan(info, step);
  steps_[step].ran = true;
  SetEnv(env, EnvCarrierName("traceparent"), FormatTraceParent({trace_id_, span.span_id, flags_}));
  if (!trace_state_.empty()) SetEnv(env, EnvCarrierName("tracestate"), trace_state_);
  if (!options_.inbound.baggage.empty()) {
    SetEnv(env, EnvCarrierName("baggage"), options_.inbound.baggage);
  }
}

void RunTracer::OnRunFinished(const RunInfo& info) {
  if (finished_) return;
  finished_ = true;
  std::int64_t end_ns = info.finished_at_ns != 0 ? info.finished_at_ns : Now();
  // Steps the engine did not finish get their spans now, so that every step appears.
  for (std::size_t i = 0; i < info.steps.size(); ++i) {
    bool ever_spanned = i < steps_.size() && steps_[i].ever_spanned;
    bool open = i < steps_.size() && steps_[i].open;
    if (!open && ever_spanned) continue;
    const StepState& state = info.steps[i];
    OpenStepSpan(info, i, end_ns);
    EndStepSpan(info, i, state.finished_at_ns != 0 ? state.finished_at_ns : end_ns);
  }

  SpanData root;
  root.trace_id = trace_id_;
  root.span_id = root_span_id_;
  root.parent_span_id = remote_parent_id_;
  root.trace_state = trace_state_;
  root.flags = flags_;
  std::string dag_name = info.dag ? info.dag->name : "";
  root.name = "DAG: " + dag_name;
  root.kind = SpanKind::kServer;
  root.start_ns = root_start_ns_ != 0       ? root_start_ns_
                  : info.started_at_ns != 0 ? info.started_at_ns
                                            : end_ns;
  root.end_ns = std::max(end_ns, root.start_ns);
  std::string_view result = CicdResult(info.status, MentionsTimeout(info.error));
  root.attributes = {{"dag.name", dag_name}, {"dag.run_id", info.run_id}};
  if (info.parent) {
    root.attributes.emplace_back("dag.parent_run_id", info.parent->run_id);
    root.attributes.emplace_back("dag.parent_name", info.parent->name);
  }
  root.attributes.emplace_back("dag.root_run_id", info.root ? info.root->run_id : info.run_id);
  root.attributes.emplace_back("dag.status", std::string(engine::ToString(info.status)));
  root.attributes.emplace_back("cicd.pipeline.name", dag_name);
  root.attributes.emplace_back("cicd.pipeline.run.id", info.run_id);
  root.attributes.emplace_back("cicd.pipeline.action.name", std::string("RUN"));
  root.attributes.emplace_back("cicd.pipeline.result", std::string(result));
  SetOutcome(root, result, -1, Masked(info.error), info.status);
  Emit(root);
  // The last batch goes out while the other observers and the trace record finish the run.
  for (SpanSink* exporter : options_.exporters) exporter->StartFlush();
}

void RunTracer::Emit(const SpanData& span) {
  if (options_.record != nullptr) options_.record->OnSpanEnd(span);
  if (!sampled()) return;
  for (SpanSink* exporter : options_.exporters) exporter->OnSpanEnd(span);
}

}  // namespace weft::trace
