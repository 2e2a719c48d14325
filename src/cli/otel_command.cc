// `weft otel flush`: deliver the spool of undelivered spans now (§5.5).

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/dag_loading.h"
#include "cli/paths.h"
#include "cli/run_tracing.h"
#include "engine/event_loop.h"
#include "trace/otlp/transport.h"

namespace weft::cli {

int OtelFlush(const LoadFlags& flags, const std::string& dag_arg) {
  std::string home = WeftHome();
  trace::otlp::ResolvedExportConfig resolved;
  if (dag_arg.empty()) {
    dag::Dag none;
    none.name = "weft";
    resolved = ResolveTracing(none, eval::Variables());
  } else {
    StartFlags start;
    start.load = flags;
    start.dag = dag_arg;
    PreparedRun prepared;
    if (!PrepareRun(start, home, &prepared, /*dry=*/true)) return 2;
    resolved = ResolveTracing(*prepared.dag, prepared.scope.variables);
  }
  for (const auto& e : resolved.errors) fmt::print(stderr, "weft: otel: {}\n", e);
  if (!resolved.ok()) return 2;
  if (!resolved.config.enabled) {
    fmt::print(stderr,
               "weft: no collector configured: name a DAG with an `otel` block or set "
               "OTEL_EXPORTER_OTLP_ENDPOINT\n");
    return 2;
  }
  std::string error;
  auto transport = trace::otlp::MakeTransport(resolved.config, &error);
  if (!transport) {
    fmt::print(stderr, "weft: otel: {}\n", error);
    return 2;
  }
  std::int64_t now = engine::EventLoop::UnixNs();
  auto timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(resolved.config.timeout).count();
  trace::otlp::ExportCounters counters = trace::otlp::FlushSpool(
      resolved.config, std::move(transport), home + "/spool", now + timeout);
  fmt::print("delivered {} spooled spans to {} ({} dropped)\n", counters.spool_delivered,
             resolved.config.endpoint, counters.dropped);
  return 0;
}

}  // namespace weft::cli
