#include "trace/otlp/export_config.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <map>

#include "trace/otlp/duration.h"
#include "version.h"

namespace weft::trace::otlp {
namespace {

constexpr std::chrono::milliseconds kDefaultTimeout{10000};
constexpr std::string_view kDefaultGrpcEndpoint = "http://localhost:4317";
constexpr std::string_view kDefaultHttpEndpoint = "http://localhost:4318/v1/traces";

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX becomes the byte; a '%' not followed by two hex digits is kept as written.
std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexDigit(text[i + 1]) >= 0 &&
        HexDigit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigit(text[i + 1]) * 16 + HexDigit(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// RFC 9110 token characters: what an HTTP header name (and, lower-cased, a gRPC metadata key)
// may hold.
bool IsHeaderName(std::string_view name) {
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](unsigned char c) {
    return std::isalnum(c) || kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool IsHeaderValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](unsigned char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string HostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

// Reads the OTEL_* variables through the caller's lookup, collecting warnings for bad values.
class EnvReader {
 public:
  EnvReader(const ExportConfigSources& sources, std::vector<std::string>* warnings)
      : getenv_(sources.getenv), warnings_(warnings) {}

  std::optional<std::string> Get(std::string_view name) const {
    std::optional<std::string> value;
    if (getenv_) {
      value = getenv_(name);
    } else if (const char* raw = std::getenv(std::string(name).c_str())) {
      value = raw;
    }
    if (value && Trim(*value).empty()) return std::nullopt;  // set but empty = unset
    return value;
  }

  // OTEL_EXPORTER_OTLP_TRACES_<suffix>, else OTEL_EXPORTER_OTLP_<suffix>. *used names the one
  // that was set.
  std::optional<std::string> Exporter(std::string_view suffix, std::string* used = nullptr) const {
    for (std::string name : {fmt::format("OTEL_EXPORTER_OTLP_TRACES_{}", suffix),
                             fmt::format("OTEL_EXPORTER_OTLP_{}", suffix)}) {
      if (std::optional<std::string> value = Get(name)) {
        if (used) *used = name;
        return value;
      }
    }
    return std::nullopt;
  }

  std::optional<bool> Bool(std::string_view name, std::optional<std::string> value) const {
    if (!value) return std::nullopt;
    std::string lowered = Lower(Trim(*value));
    if (lowered == "true") return true;
    if (lowered == "false") return false;
    Warn(fmt::format("{}=\"{}\" is not true or false; ignored", name, *value));
    return std::nullopt;
  }

  // A non-negative integer (milliseconds, sizes); nullopt and a warning when malformed.
  std::optional<std::int64_t> Integer(std::string_view name, std::optional<std::string> value,
                                      std::int64_t min) const {
    if (!value) return std::nullopt;
    std::string_view text = Trim(*value);
    std::int64_t number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || ptr != text.data() + text.size() || number < min) {
      Warn(
          fmt::format("{}=\"{}\" is not an integer >= {}; the default is used", name, *value, min));
      return std::nullopt;
    }
    return number;
  }

  void Warn(std::string message) const { warnings_->push_back(std::move(message)); }

 private:
  std::function<std::optional<std::string>(std::string_view)> getenv_;
  std::vector<std::string>* warnings_;
};

// Resolves one ExportConfig; each method handles one field group of §5.1.
class Resolver {
 public:
  explicit Resolver(const ExportConfigSources& sources)
      : sources_(sources), otel_(*sources.otel), env_(sources, &result_.warnings) {}

  ResolvedExportConfig Run() {
    ExportConfig& config = result_.config;
    config.enabled = Enabled();
    // The local trace record carries the resource whether or not anything is exported.
    ResolveResource();
    if (!config.enabled) return std::move(result_);
    config.propagate_exporter_env = otel_.propagate_exporter_env.value_or(false);
    ResolveConnection();
    ResolveHeaders();
    ResolveTimeout();
    ResolveCompression();
    ResolveSampler();
    ResolveBatch();
    return std::move(result_);
  }

 private:
  std::string Expand(std::string_view text) const {
    return sources_.expand ? sources_.expand(text) : std::string(text);
  }

  std::optional<std::string> ExpandedField(const std::optional<std::string>& field) const {
    if (!field) return std::nullopt;
    return Expand(*field);
  }

  void Error(std::string message) { result_.errors.push_back(std::move(message)); }

  bool Enabled() {
    if (otel_.enabled) return *otel_.enabled;
    if (env_.Bool("OTEL_SDK_DISABLED", env_.Get("OTEL_SDK_DISABLED")).value_or(false)) {
      return false;
    }
    return env_.Exporter("ENDPOINT").has_value();
  }

  void ResolveConnection() {
    ExportConfig& config = result_.config;
    EndpointRequest request;
    if (std::optional<std::string> protocol = ExpandedField(otel_.protocol)) {
      request.protocol = ParseProtocol(*protocol);
      if (!request.protocol) {
        Error(fmt::format("otel.protocol \"{}\" is not known; use grpc, http/protobuf or http/json",
                          *protocol));
      }
    } else {
      std::string name;
      if (std::optional<std::string> protocol = env_.Exporter("PROTOCOL", &name)) {
        request.protocol = ParseProtocol(Trim(*protocol));
        if (!request.protocol) {
          env_.Warn(fmt::format("{}=\"{}\" is not grpc, http/protobuf or http/json; ignored", name,
                                *protocol));
        }
      }
    }

    request.insecure =
        otel_.insecure.has_value()
            ? *otel_.insecure
            : env_.Bool("OTEL_EXPORTER_OTLP_INSECURE", env_.Exporter("INSECURE")).value_or(false);
    config.insecure = request.insecure;

    if (std::optional<std::string> endpoint = ExpandedField(otel_.endpoint)) {
      request.endpoint = *endpoint;
    } else if (std::optional<std::string> traces = env_.Get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
      request.endpoint = *traces;
    } else if (std::optional<std::string> base = env_.Get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
      request.endpoint = *base;
      request.is_base_url = true;
    } else {
      bool http = request.protocol && *request.protocol != Protocol::kGrpc;
      request.endpoint = http ? kDefaultHttpEndpoint : kDefaultGrpcEndpoint;
    }
    request.endpoint = std::string(Trim(request.endpoint));
    config.endpoint = request.endpoint;

    std::string error;
    if (std::optional<Endpoint> resolved = ResolveEndpoint(request, &error)) {
      config.resolved = *resolved;
    } else {
      Error(std::move(error));
    }

    config.certificate = FileField(otel_.certificate, "CERTIFICATE");
    config.client_certificate = FileField(otel_.client_certificate, "CLIENT_CERTIFICATE");
    config.client_key = FileField(otel_.client_key, "CLIENT_KEY");
    if (config.client_certificate.empty() != config.client_key.empty()) {
      Error(
          "mTLS needs both otel.client_certificate and otel.client_key (or "
          "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY); only one "
          "is set");
    }
  }

  std::string FileField(const std::optional<std::string>& yaml, std::string_view env_suffix) {
    if (std::optional<std::string> value = ExpandedField(yaml)) return *value;
    return env_.Exporter(env_suffix).value_or("");
  }

  void ResolveHeaders() {
    std::map<std::string, std::string> merged;
    for (std::string name : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
      std::optional<std::string> text = env_.Get(name);
      if (!text) continue;
      int skipped = 0;
      for (auto& [key, value] : ParseKeyValueList(*text, &skipped)) {
        if (!IsHeaderName(key) || !IsHeaderValue(value)) {
          env_.Warn(
              fmt::format("{}: header \"{}\" has an invalid name or value; ignored", name, key));
          continue;
        }
        merged[Lower(key)] = value;
      }
      if (skipped > 0) {
        env_.Warn(fmt::format("{}: {} entries are not key=value; ignored", name, skipped));
      }
    }
    for (const auto& [key, raw_value] : otel_.headers) {
      if (!IsHeaderName(key)) {
        Error(fmt::format(
            "otel.headers: \"{}\" is not a valid header name; use letters, digits and -_.", key));
        continue;
      }
      std::string value = Expand(raw_value);
      if (!IsHeaderValue(value)) {
        Error(fmt::format("otel.headers: the value of \"{}\" contains a line break or NUL", key));
        continue;
      }
      if (value.find("${") != std::string::npos) {
        result_.warnings.push_back(fmt::format(
            "otel.headers: the value of \"{}\" refers to a variable that is not set", key));
      }
      merged[Lower(key)] = std::move(value);
    }
    result_.config.headers.assign(merged.begin(), merged.end());
  }

  void ResolveTimeout() {
    ExportConfig& config = result_.config;
    config.timeout = kDefaultTimeout;
    if (std::optional<std::string> text = ExpandedField(otel_.timeout)) {
      std::optional<std::chrono::milliseconds> timeout = ParseDuration(Trim(*text));
      if (!timeout || timeout->count() <= 0) {
        Error(fmt::format(
            "otel.timeout \"{}\" is not a positive duration; write e.g. 30s, 500ms, 1m or a "
            "number of seconds",
            *text));
      } else {
        config.timeout = *timeout;
      }
      return;
    }
    std::string name = "OTEL_EXPORTER_OTLP_TIMEOUT";
    std::optional<std::string> env = env_.Exporter("TIMEOUT", &name);
    if (std::optional<std::int64_t> ms = env_.Integer(name, env, 1)) {
      config.timeout = std::chrono::milliseconds(*ms);
    }
  }

  void ResolveCompression() {
    std::optional<std::string> text = ExpandedField(otel_.compression);
    std::string name = "otel.compression";
    bool from_env = false;
    if (!text) {
      text = env_.Exporter("COMPRESSION", &name);
      from_env = true;
    }
    if (!text) return;
    std::string value = Lower(Trim(*text));
    if (value == "gzip") {
      result_.config.compression = Compression::kGzip;
    } else if (value != "none") {
      std::string message = fmt::format("{} \"{}\" is not gzip or none", name, *text);
      if (from_env) {
        env_.Warn(message + "; none is used");
      } else {
        Error(message);
      }
    }
  }

  void ResolveSampler() {
    ExportConfig& config = result_.config;
    if (otel_.sampler) {
      if (!(*otel_.sampler >= 0.0 && *otel_.sampler <= 1.0)) {
        Error(fmt::format("otel.sampler {} is not a ratio between 0 and 1", *otel_.sampler));
      } else {
        config.sampler_ratio = *otel_.sampler;
      }
      return;
    }
    std::optional<std::string> sampler = env_.Get("OTEL_TRACES_SAMPLER");
    if (!sampler) return;
    std::string name = Lower(Trim(*sampler));
    if (name == "always_on" || name == "parentbased_always_on") {
      config.sampler_ratio = 1.0;
    } else if (name == "always_off" || name == "parentbased_always_off") {
      config.sampler_ratio = 0.0;
    } else if (name == "traceidratio" || name == "parentbased_traceidratio") {
      std::optional<std::string> arg = env_.Get("OTEL_TRACES_SAMPLER_ARG");
      if (!arg) return;
      std::string_view text = Trim(*arg);
      double ratio = -1;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ratio);
      if (ec != std::errc() || ptr != text.data() + text.size() || !(ratio >= 0 && ratio <= 1)) {
        env_.Warn(
            fmt::format("OTEL_TRACES_SAMPLER_ARG=\"{}\" is not a ratio between 0 and 1; "
                        "1 is used",
                        *arg));
        return;
      }
      config.sampler_ratio = ratio;
    } else {
      env_.Warn(
          fmt::format("OTEL_TRACES_SAMPLER=\"{}\" is not supported; always_on is used", *sampler));
    }
  }

  void ResolveBatch() {
    BatchSettings& batch = result_.config.batch;
    auto read = [&](std::string_view name, std::int64_t min) {
      return env_.Integer(name, env_.Get(name), min);
    };
    if (auto v = read("OTEL_BSP_MAX_QUEUE_SIZE", 1)) batch.max_queue_size = *v;
    if (auto v = read("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 1)) batch.max_export_batch_size = *v;
    if (auto v = read("OTEL_BSP_SCHEDULE_DELAY", 0))
      batch.schedule_delay = std::chrono::milliseconds(*v);
    if (auto v = read("OTEL_BSP_EXPORT_TIMEOUT", 1))
      batch.export_timeout = std::chrono::milliseconds(*v);
    if (batch.max_export_batch_size > batch.max_queue_size) {
      env_.Warn(fmt::format(
          "OTEL_BSP_MAX_EXPORT_BATCH_SIZE {} exceeds OTEL_BSP_MAX_QUEUE_SIZE {}; the queue size "
          "is used",
          batch.max_export_batch_size, batch.max_queue_size));
      batch.max_export_batch_size = batch.max_queue_size;
    }
  }

  void ResolveResource() {
    std::map<std::string, AttributeValue> merged;
    merged["service.name"] = fmt::format("weft-{}", sources_.dag_name);
    merged["telemetry.sdk.name"] = std::string("weft");
    merged["telemetry.sdk.language"] = std::string("cpp");
    merged["telemetry.sdk.version"] = std::string(kVersion);
    merged["host.name"] = HostName();
    merged["process.pid"] = static_cast<std::int64_t>(getpid());
    if (std::optional<std::string> text = env_.Get("OTEL_RESOURCE_ATTRIBUTES")) {
      int skipped = 0;
      for (auto& [key, value] : ParseKeyValueList(*text, &skipped)) merged[key] = value;
      if (skipped > 0) {
        env_.Warn(fmt::format("OTEL_RESOURCE_ATTRIBUTES: {} entries are not key=value; ignored",
                              skipped));
      }
    }
    if (std::optional<std::string> service = env_.Get("OTEL_SERVICE_NAME")) {
      merged["service.name"] = std::string(Trim(*service));
    }
    for (const auto& [key, value] : otel_.resource) {
      if (const std::string* text = std::get_if<std::string>(&value)) {
        merged[key] = Expand(*text);
      } else {
        merged[key] = value;
      }
    }
    result_.config.resource.assign(merged.begin(), merged.end());
  }

  const ExportConfigSources& sources_;
  const dag::OtelConfig& otel_;
  ResolvedExportConfig result_;
  EnvReader env_;
};

std::string AttributeText(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return fmt::format("\"{}\"", v);
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else {
          return fmt::format("{}", v);
        }
      },
      value);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ParseKeyValueList(std::string_view text,
                                                                   int* skipped) {
  std::vector<std::pair<std::string, std::string>> out;
  *skipped = 0;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view entry = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (entry.empty()) continue;
    std::size_t eq = entry.find('=');
    std::string key = eq == std::string_view::npos ? "" : PercentDecode(Trim(entry.substr(0, eq)));
    if (key.empty()) {
      ++*skipped;
      continue;
    }
    out.emplace_back(std::move(key), PercentDecode(Trim(entry.substr(eq + 1))));
  }
  return out;
}

ResolvedExportConfig ResolveExportConfig(const ExportConfigSources& sources) {
  return Resolver(sources).Run();
}

std::string DescribeExportConfig(const ExportConfig& config) {
  if (!config.enabled) return "tracing export: disabled\n";
  const Endpoint& ep = config.resolved;
  std::string security = !ep.tls ? "plaintext" : ep.verify_peer ? "TLS" : "TLS, unverified";
  std::string out = "tracing export: enabled\n";
  out += fmt::format("endpoint: {}\n", config.endpoint);
  out += fmt::format("protocol: {}\n", ProtocolName(ep.protocol));
  out += fmt::format("target: {} ({})\n", ep.target, security);
  std::vector<std::string> headers;
  for (const auto& [key, value] : config.headers) headers.push_back(key + "=****");
  out += fmt::format("headers: {}\n",
                     headers.empty() ? "none" : fmt::format("{}", fmt::join(headers, ", ")));
  out += fmt::format("timeout: {}ms\n", config.timeout.count());
  out +=
      fmt::format("compression: {}\n", config.compression == Compression::kGzip ? "gzip" : "none");
  if (!config.certificate.empty()) out += fmt::format("certificate: {}\n", config.certificate);
  if (!config.client_certificate.empty()) {
    out += fmt::format("client certificate: {}\nclient key: {}\n", config.client_certificate,
                       config.client_key);
  }
  out += fmt::format("sampler ratio: {}\n", config.sampler_ratio);
  out += fmt::format("batch: queue {}, batch {}, delay {}ms, export timeout {}ms\n",
                     config.batch.max_queue_size, config.batch.max_export_batch_size,
                     config.batch.schedule_delay.count(), config.batch.export_timeout.count());
  std::vector<std::string> resource;
  for (const auto& [key, value] : config.resource) {
    resource.push_back(fmt::format("{}={}", key, AttributeText(value)));
  }
  out += fmt::format("resource: {}\n", fmt::join(resource, ", "));
  return out;
}

std::vector<std::pair<std::string, std::string>> ExporterEnvironment(const ExportConfig& config) {
  std::vector<std::pair<std::string, std::string>> env;
  if (!config.enabled) return env;
  const Endpoint& ep = config.resolved;
  std::string endpoint = ep.target;
  if (ep.protocol == Protocol::kGrpc) endpoint = (ep.tls ? "https://" : "http://") + ep.target;
  env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint);
  env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", std::string(ProtocolName(ep.protocol)));
  if (!config.headers.empty()) {
    std::vector<std::string> entries;
    for (const auto& [key, value] : config.headers)
      entries.push_back(key + "=" + PercentEncode(value));
    env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                     fmt::format("{}", fmt::join(entries, ",")));
  }
  env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_INSECURE", config.insecure ? "true" : "false");
  env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", std::to_string(config.timeout.count()));
  env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
                   config.compression == Compression::kGzip ? "gzip" : "none");
  if (!config.certificate.empty()) {
    env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", config.certificate);
  }
  if (!config.client_certificate.empty()) {
    env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", config.client_certificate);
    env.emplace_back("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", config.client_key);
  }
  return env;
}

}  // namespace weft::trace::otlp
