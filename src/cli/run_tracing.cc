#include "cli/run_tracing.h"

#include <fmt/format.h>

#include "engine/event_loop.h"
#include "eval/expand.h"
#include "trace/otlp/transport.h"
#include "trace/trace_context.h"
#include "version.h"

namespace weft::cli {
trace::otlp::ResolvedExportConfig ResolveTracing(const dag::Dag& dag, const eval::Variables& vars) {
  trace::otlp::ExportConfigSources sources;
  sources.otel = &dag.otel;
  sources.dag_name = dag.name;
  sources.expand = [&vars](std::string_view text) { return eval::Expand(text, vars); };
  return trace::otlp::ResolveExportConfig(sources);
}

std::unique_ptr<RunTracing> RunTracing::Create(const dag::Dag& dag, const eval::Variables& vars,
                                               const eval::SecretMasker& secrets,
                                               const std::string& run_dir, const std::string& home,
                                               std::string* error) {
  trace::otlp::ResolvedExportConfig resolved = ResolveTracing(dag, vars);
  for (const auto& warning : resolved.warnings) {
    fmt::print(stderr, "weft: otel: {}\n", secrets.Mask(warning));
  }
  if (!resolved.ok()) {
    *error = "otel: ";
    for (std::size_t i = 0; i < resolved.errors.size(); ++i) {
      *error += (i ? "; " : "") + resolved.errors[i];
    }
    return nullptr;
  }
  std::unique_ptr<RunTracing> tracing(new RunTracing());
  tracing->config_ = std::move(resolved.config);
  tracing->shown_endpoint_ = secrets.Mask(tracing->config_.endpoint);
  tracing->record_ =
      trace::TraceRecordSink::Open(run_dir, tracing->config_.resource, kVersion, error);
  if (!tracing->record_) return nullptr;

  trace::RunTracerOptions options;
  options.record = tracing->record_.get();
  options.inbound = trace::ReadInboundContext();
  for (const auto& warning : options.inbound.warnings) fmt::print(stderr, "weft: {}\n", warning);
  options.sample_ratio = tracing->config_.sampler_ratio;
  options.mask = [secrets](std::string_view text) { return secrets.Mask(text); };
  if (tracing->config_.enabled) {
    std::string transport_error;
    auto transport = trace::otlp::MakeTransport(tracing->config_, &transport_error);
    if (!transport) {
      *error = "otel: " + transport_error;
      return nullptr;
    }
    trace::otlp::PipelineOptions pipeline_options;
    pipeline_options.spool_root = home + "/spool";
    pipeline_options.shown_endpoint = tracing->shown_endpoint_;
    tracing->pipeline_ = std::make_unique<trace::otlp::ExportPipeline>(
        tracing->config_, std::move(transport), pipeline_options);
    options.exporters.push_back(tracing->pipeline_.get());
  }
  tracing->tracer_ = std::make_unique<trace::RunTracer>(std::move(options));
  return tracing;
}

std::vector<std::pair<std::string, std::string>> RunTracing::ExporterEnvironment() const {
  if (!config_.enabled || !config_.propagate_exporter_env) return {};
  return trace::otlp::ExporterEnvironment(config_);
}

trace::otlp::ExportCounters RunTracing::Finish() {
  record_->Shutdown(engine::EventLoop::UnixNs());
  if (!pipeline_) return {};
  auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(config_.timeout).count();
  pipeline_->Shutdown(engine::EventLoop::UnixNs() + timeout);
  return pipeline_->Counters();
}

}  // namespace weft::cli
