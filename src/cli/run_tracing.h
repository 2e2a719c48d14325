#pragma once

// The tracing of one `weft start`: resolves the export config of the DAG (§5.1), honours an
// inbound TRACEPARENT (§5.4), and wires the RunTracer to its sinks — the local trace record in
// the run directory, always, and the OTLP export pipeline when tracing is enabled. Finish()
// flushes within the configured timeout and spools what it could not deliver (§5.5).

#include <memory>
#include <string>
#include <vector>

#include "engine/run_info.h"
#include "eval/secrets.h"
#include "eval/variables.h"
#include "trace/otlp/export_config.h"
#include "trace/otlp/export_pipeline.h"
#include "trace/run_tracer.h"
#include "trace/trace_record.h"

namespace weft::cli {

// The export config of a DAG with its strings expanded by `vars`. Errors make the DAG unusable.
trace::otlp::ResolvedExportConfig ResolveTracing(const dag::Dag& dag, const eval::Variables& vars);

class RunTracing {
 public:
  // Returns nullptr with *error set when the config is unusable or the record cannot be opened.
  // `secrets` masks error texts before they enter spans.
  static std::unique_ptr<RunTracing> Create(const dag::Dag& dag, const eval::Variables& vars,
                                            const eval::SecretMasker& secrets,
                                            const std::string& run_dir, const std::string& home,
                                            std::string* error);

  engine::RunObserver* observer() { return tracer_.get(); }
  std::string trace_id() const { return tracer_->trace_id().Hex(); }
  const trace::otlp::ExportConfig& config() const { return config_; }
  // The endpoint as weft's messages show it: with the run's secrets masked.
  const std::string& shown_endpoint() const { return shown_endpoint_; }

  // Environment for step programs when `propagate_exporter_env` is set.
  std::vector<std::pair<std::string, std::string>> ExporterEnvironment() const;

  // Flushes every sink; returns the export counters (all zero when nothing is exported).
  trace::otlp::ExportCounters Finish();

 private:
  RunTracing() = default;

  trace::otlp::ExportConfig config_;
  std::string shown_endpoint_;
  std::unique_ptr<trace::TraceRecordSink> record_;
  std::unique_ptr<trace::otlp::ExportPipeline> pipeline_;
  std::unique_ptr<trace::RunTracer> tracer_;
};

}  // namespace weft::cli
