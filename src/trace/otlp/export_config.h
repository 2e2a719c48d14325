#pragma once

// The resolved tracing export configuration (SPEC §5.1): the `otel:` block of a DAG (already
// merged with base.yaml) over the standard OTEL_* environment variables over the defaults.
// Everything the exporter needs is decided here, once, so that transports and the pipeline
// never read the environment.

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dag/dag.h"
#include "trace/otlp/endpoint.h"
#include "trace/span.h"

namespace weft::trace::otlp {

enum class Compression { kNone, kGzip };

// Batch span processor settings (OTEL_BSP_*).
struct BatchSettings {
  std::size_t max_queue_size = 2048;
  std::size_t max_export_batch_size = 512;
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ExportConfig {
  bool enabled = false;
  std::string endpoint;  // as configured, after expansion: names the spool of this collector
  Endpoint resolved;     // protocol, connection target, TLS (§5.2)
  Headers headers;       // names lower-case, sorted; values are secrets: never print them
  bool insecure = false;
  std::chrono::milliseconds timeout{10000};  // per export, retries included
  Compression compression = Compression::kNone;
  std::string certificate;  // CA bundle file; "" = system roots
  std::string client_certificate;
  std::string client_key;
  double sampler_ratio = 1.0;  // for root runs; parent-based otherwise
  BatchSettings batch;
  Attributes resource;  // sorted by key
  bool propagate_exporter_env = false;
};

// Where configuration comes from.
struct ExportConfigSources {
  const dag::OtelConfig* otel = nullptr;  // required
  std::string dag_name;                   // for the default service.name `weft-<name>`
  // Expands ${VAR} in the strings of the otel block (§2.4); identity when empty.
  std::function<std::string(std::string_view)> expand;
  // Reads an environment variable; the process environment when empty.
  std::function<std::optional<std::string>(std::string_view)> getenv;
};

// errors: the configuration cannot be used (a bad value in the YAML, an endpoint that cannot
// work); the DAG should not run. warnings: a bad OTEL_* variable was ignored, as the
// OpenTelemetry specification asks. Neither ever contains a header value.
struct ResolvedExportConfig {
  ExportConfig config;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
};

// Resolves with precedence YAML > OTEL_* environment > defaults, field by field (headers and
// resource attributes key by key). `enabled: false` wins over everything; when the YAML does not
// set `enabled`, OTEL_SDK_DISABLED=true turns tracing off and a set
// OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT turns it on. With tracing off only the resource (which
// the local trace record needs) is resolved.
// Signal-specific variables (OTEL_EXPORTER_OTLP_TRACES_*) win over the generic ones.
ResolvedExportConfig ResolveExportConfig(const ExportConfigSources& sources);

// `k1=v1,k2=v2` with percent-encoded values and optional white space around entries, as in
// OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES. Entries without '=' or with an empty
// key are skipped and counted in *skipped.
std::vector<std::pair<std::string, std::string>> ParseKeyValueList(std::string_view text,
                                                                   int* skipped);

// The resolved config for `weft dry` / `weft validate`, one "key: value" per line, with every
// header value masked.
std::string DescribeExportConfig(const ExportConfig& config);

// OTEL_EXPORTER_OTLP_TRACES_* variables that make an instrumented step program export to the
// same collector the same way (for `propagate_exporter_env`).
std::vector<std::pair<std::string, std::string>> ExporterEnvironment(const ExportConfig& config);

}  // namespace weft::trace::otlp
