#include "trace/otlp/export_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace weft::trace::otlp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Env = std::map<std::string, std::string, std::less<>>;

// Resolves an otel block against a fake environment; ${NAME} is expanded from `vars`.
ResolvedExportConfig Resolve(const dag::OtelConfig& otel, Env env = {}, Env vars = {}) {
  ExportConfigSources sources;
  sources.otel = &otel;
  sources.dag_name = "etl";
  sources.getenv = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  sources.expand = [vars](std::string_view text) {
    std::string out(text);
    for (const auto& [name, value] : vars) {
      std::string token = "${" + name + "}";
      for (std::size_t at; (at = out.find(token)) != std::string::npos;)
        out.replace(at, token.size(), value);
    }
    return out;
  };
  return ResolveExportConfig(sources);
}

dag::OtelConfig Enabled(std::string endpoint = "collector:4317") {
  dag::OtelConfig otel;
  otel.enabled = true;
  otel.endpoint = std::move(endpoint);
  return otel;
}

const AttributeValue* Find(const Attributes& attributes, std::string_view key) {
  for (const auto& [k, v] : attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string Header(const ExportConfig& config, std::string_view name) {
  for (const auto& [k, v] : config.headers) {
    if (k == name) return v;
  }
  return "<unset>";
}

TEST(OtlpExportConfigTest, OffByDefault) {
  ResolvedExportConfig r = Resolve({});
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.config.enabled);
}

TEST(OtlpExportConfigTest, EnvEndpointTurnsTracingOnWhenYamlSaysNothing) {
  for (const char* name : {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"}) {
    ResolvedExportConfig r = Resolve({}, {{name, "http://env:4317"}});
    EXPECT_TRUE(r.config.enabled) << name;
    EXPECT_EQ(r.config.resolved.target, "env:4317") << name;
  }
}

TEST(OtlpExportConfigTest, EnabledFalseWinsOverEverything) {
  dag::OtelConfig otel = Enabled();
  otel.enabled = false;
  ResolvedExportConfig r = Resolve(otel, {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4317"}});
  EXPECT_FALSE(r.config.enabled);
  EXPECT_THAT(DescribeExportConfig(r.config), HasSubstr("disabled"));
}

TEST(OtlpExportConfigTest, SdkDisabledTurnsOffUnlessYamlEnables) {
  Env env = {{"OTEL_SDK_DISABLED", "true"}, {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4317"}};
  EXPECT_FALSE(Resolve({}, env).config.enabled);
  EXPECT_TRUE(Resolve(Enabled(), env).config.enabled);
  env["OTEL_SDK_DISABLED"] = "false";
  EXPECT_TRUE(Resolve({}, env).config.enabled);
}

TEST(OtlpExportConfigTest, EndpointPrecedence) {
  Env env = {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4317"},
             {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"}};
  EXPECT_EQ(Resolve(Enabled("yaml:4317"), env).config.endpoint, "yaml:4317");
  dag::OtelConfig no_endpoint;
  no_endpoint.enabled = true;
  EXPECT_EQ(Resolve(no_endpoint, env).config.endpoint, "http://traces:4317");
  env.erase("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  EXPECT_EQ(Resolve(no_endpoint, env).config.endpoint, "http://generic:4317");
}

TEST(OtlpExportConfigTest, GenericEnvEndpointGetsTracesPathForHttpOnly) {
  Env env = {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
             {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}};
  EXPECT_EQ(Resolve({}, env).config.resolved.target, "http://c:4318/v1/traces");
  Env traces = {{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/custom"},
                {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"}};
  EXPECT_EQ(Resolve({}, traces).config.resolved.target, "http://c:4318/custom");
}

TEST(OtlpExportConfigTest, DefaultEndpointFollowsTheProtocol) {
  dag::OtelConfig otel;
  otel.enabled = true;
  ResolvedExportConfig grpc = Resolve(otel);
  EXPECT_EQ(grpc.config.resolved.protocol, Protocol::kGrpc);
  EXPECT_EQ(grpc.config.resolved.target, "localhost:4317");
  EXPECT_FALSE(grpc.config.resolved.tls);
  otel.protocol = "http/json";
  EXPECT_EQ(Resolve(otel).config.resolved.target, "http://localhost:4318/v1/traces");
}

TEST(OtlpExportConfigTest, ProtocolPrecedenceAndErrors) {
  dag::OtelConfig otel = Enabled("http://c:4318/v1/traces");
  Env env = {{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"}};
  EXPECT_EQ(Resolve(otel, env).config.resolved.protocol, Protocol::kHttpJson);
  env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] = "http/protobuf";
  EXPECT_EQ(Resolve(otel, env).config.resolved.protocol, Protocol::kHttpProtobuf);
  otel.protocol = "http/json";
  EXPECT_EQ(Resolve(otel, env).config.resolved.protocol, Protocol::kHttpJson);

  otel.protocol = "thrift";
  ResolvedExportConfig bad = Resolve(otel);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.errors[0], HasSubstr("\"thrift\""));
  ResolvedExportConfig bad_env = Resolve(Enabled(), {{"OTEL_EXPORTER_OTLP_PROTOCOL", "udp"}});
  EXPECT_TRUE(bad_env.ok());
  ASSERT_EQ(bad_env.warnings.size(), 1u);
  EXPECT_THAT(bad_env.warnings[0], HasSubstr("OTEL_EXPORTER_OTLP_PROTOCOL"));
}

TEST(OtlpExportConfigTest, BadEndpointIsAnError) {
  ResolvedExportConfig r = Resolve(Enabled("ftp://c:1"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.errors[0], HasSubstr("ftp"));
}

TEST(OtlpExportConfigTest, StringsOfTheBlockAreExpanded) {
  dag::OtelConfig otel = Enabled("${HOST}:4317");
  otel.headers["Authorization"] = "Bearer ${OTEL_AUTH_TOKEN}";
  otel.resource["service.name"] = std::string("dagu-${DAG_NAME}");
  otel.timeout = "${T}";
  ResolvedExportConfig r =
      Resolve(otel, {},
              {{"HOST", "otel"}, {"OTEL_AUTH_TOKEN", "s3cret"}, {"DAG_NAME", "etl"}, {"T", "2s"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.resolved.target, "otel:4317");
  EXPECT_EQ(Header(r.config, "authorization"), "Bearer s3cret");
  EXPECT_EQ(*Find(r.config.resource, "service.name"), AttributeValue(std::string("dagu-etl")));
  EXPECT_EQ(r.config.timeout, std::chrono::milliseconds(2000));
}

TEST(OtlpExportConfigTest, HeadersMergeKeyByKeyLowerCased) {
  dag::OtelConfig otel = Enabled();
  otel.headers["X-Tenant"] = "yaml";
  Env env = {{"OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=env, Authorization=Basic%20abc%3D ,x-a=1"},
             {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-A=2"}};
  ResolvedExportConfig r = Resolve(otel, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Header(r.config, "x-tenant"), "yaml");
  EXPECT_EQ(Header(r.config, "authorization"), "Basic abc=");
  EXPECT_EQ(Header(r.config, "x-a"), "2");
  for (const auto& [key, value] : r.config.headers) {
    EXPECT_TRUE(std::none_of(key.begin(), key.end(), [](unsigned char c) {
      return std::isupper(c);
    })) << key;
  }
}

TEST(OtlpExportConfigTest, BadHeadersAreReportedWithoutTheirValues) {
  dag::OtelConfig otel = Enabled();
  otel.headers["Bad Name"] = "v";
  otel.headers["x-token"] = "top-secret\r\nInjected: 1";
  ResolvedExportConfig r = Resolve(otel, {{"OTEL_EXPORTER_OTLP_HEADERS", "novalue,=x,ok=1"}});
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_THAT(r.errors[0], HasSubstr("Bad Name"));
  EXPECT_THAT(r.errors[1], HasSubstr("x-token"));
  for (const std::string& message : r.errors) EXPECT_THAT(message, Not(HasSubstr("top-secret")));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("2 entries"));
}

TEST(OtlpExportConfigTest, UnexpandedHeaderVariableIsAWarningNamingTheHeader) {
  dag::OtelConfig otel = Enabled();
  otel.headers["authorization"] = "Bearer ${MISSING}";
  ResolvedExportConfig r = Resolve(otel);
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_THAT(r.warnings[0], HasSubstr("authorization"));
  EXPECT_THAT(r.warnings[0], Not(HasSubstr("Bearer")));
}

TEST(OtlpExportConfigTest, Timeout) {
  EXPECT_EQ(Resolve(Enabled()).config.timeout, std::chrono::milliseconds(10'000));
  for (auto [text, ms] : std::vector<std::pair<std::string, int>>{
           {"30s", 30'000}, {"500ms", 500}, {"1m", 60'000}, {"3", 3'000}}) {
    dag::OtelConfig otel = Enabled();
    otel.timeout = text;
    EXPECT_EQ(Resolve(otel, {{"OTEL_EXPORTER_OTLP_TIMEOUT", "1"}}).config.timeout,
              std::chrono::milliseconds(ms))
        << text;
  }
  EXPECT_EQ(Resolve(Enabled(), {{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}}).config.timeout,
            std::chrono::milliseconds(2500));
  EXPECT_EQ(Resolve(Enabled(), {{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                                {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "700"}})
                .config.timeout,
            std::chrono::milliseconds(700));
  ResolvedExportConfig bad_env = Resolve(Enabled(), {{"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"}});
  EXPECT_EQ(bad_env.config.timeout, std::chrono::milliseconds(10'000));
  ASSERT_EQ(bad_env.warnings.size(), 1u);
  EXPECT_THAT(bad_env.warnings[0], HasSubstr("OTEL_EXPORTER_OTLP_TIMEOUT"));
  for (const char* bad : {"soon", "0s", "-1s"}) {
    dag::OtelConfig otel = Enabled();
    otel.timeout = bad;
    ResolvedExportConfig r = Resolve(otel);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.errors[0], HasSubstr("otel.timeout"));
  }
}

TEST(OtlpExportConfigTest, InsecureAndCompression) {
  EXPECT_TRUE(Resolve(Enabled()).config.resolved.tls);
  ResolvedExportConfig env = Resolve(Enabled(), {{"OTEL_EXPORTER_OTLP_INSECURE", "TRUE"},
                                                 {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}});
  EXPECT_TRUE(env.config.insecure);
  EXPECT_FALSE(env.config.resolved.tls);
  EXPECT_EQ(env.config.compression, Compression::kGzip);

  dag::OtelConfig otel = Enabled();
  otel.insecure = false;
  otel.compression = "none";
  ResolvedExportConfig yaml = Resolve(
      otel, {{"OTEL_EXPORTER_OTLP_INSECURE", "true"}, {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"}});
  EXPECT_TRUE(yaml.config.resolved.tls);
  EXPECT_EQ(yaml.config.compression, Compression::kNone);

  otel.compression = "zstd";
  EXPECT_THAT(Resolve(otel).errors, ::testing::ElementsAre(HasSubstr("zstd")));
  ResolvedExportConfig bad_env = Resolve(Enabled(), {{"OTEL_EXPORTER_OTLP_INSECURE", "yes"},
                                                     {"OTEL_EXPORTER_OTLP_COMPRESSION", "br"}});
  EXPECT_TRUE(bad_env.ok());
  EXPECT_EQ(bad_env.warnings.size(), 2u);
}

TEST(OtlpExportConfigTest, CertificatesFromYamlOrEnv) {
  dag::OtelConfig otel = Enabled();
  otel.certificate = "/yaml/ca.pem";
  ResolvedExportConfig r = Resolve(otel, {{"OTEL_EXPORTER_OTLP_CERTIFICATE", "/env/ca.pem"},
                                          {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/env/c.pem"},
                                          {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/env/k.pem"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config.certificate, "/yaml/ca.pem");
  EXPECT_EQ(r.config.client_certificate, "/env/c.pem");
  EXPECT_EQ(r.config.client_key, "/env/k.pem");

  dag::OtelConfig half = Enabled();
  half.client_certificate = "/c.pem";
  EXPECT_THAT(Resolve(half).errors, ::testing::ElementsAre(HasSubstr("both")));
}

TEST(OtlpExportConfigTest, Sampler) {
  EXPECT_EQ(Resolve(Enabled()).config.sampler_ratio, 1.0);
  dag::OtelConfig otel = Enabled();
  otel.sampler = 0.25;
  EXPECT_EQ(Resolve(otel, {{"OTEL_TRACES_SAMPLER", "always_off"}}).config.sampler_ratio, 0.25);
  otel.sampler = 1.5;
  EXPECT_FALSE(Resolve(otel).ok());

  auto env_ratio = [](Env env) { return Resolve(Enabled(), env).config.sampler_ratio; };
  EXPECT_EQ(env_ratio({{"OTEL_TRACES_SAMPLER", "always_off"}}), 0.0);
  EXPECT_EQ(env_ratio({{"OTEL_TRACES_SAMPLER", "parentbased_always_off"}}), 0.0);
  EXPECT_EQ(env_ratio({{"OTEL_TRACES_SAMPLER", "parentbased_always_on"}}), 1.0);
  EXPECT_EQ(
      env_ratio({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.1"}}),
      0.1);
  EXPECT_EQ(env_ratio({{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
                       {"OTEL_TRACES_SAMPLER_ARG", "0.5"}}),
            0.5);
  ResolvedExportConfig bad_arg = Resolve(
      Enabled(), {{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "2"}});
  EXPECT_EQ(bad_arg.config.sampler_ratio, 1.0);
  EXPECT_EQ(bad_arg.warnings.size(), 1u);
  ResolvedExportConfig unknown = Resolve(Enabled(), {{"OTEL_TRACES_SAMPLER", "jaeger_remote"}});
  EXPECT_EQ(unknown.config.sampler_ratio, 1.0);
  EXPECT_THAT(unknown.warnings, ::testing::ElementsAre(HasSubstr("jaeger_remote")));
}

TEST(OtlpExportConfigTest, BatchSettings) {
  BatchSettings defaults = Resolve(Enabled()).config.batch;
  EXPECT_EQ(defaults.max_queue_size, 2048u);
  EXPECT_EQ(defaults.max_export_batch_size, 512u);
  EXPECT_EQ(defaults.schedule_delay, std::chrono::milliseconds(5000));
  EXPECT_EQ(defaults.export_timeout, std::chrono::milliseconds(30000));
  BatchSettings env = Resolve(Enabled(), {{"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                                          {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"},
                                          {"OTEL_BSP_SCHEDULE_DELAY", "250"},
                                          {"OTEL_BSP_EXPORT_TIMEOUT", "4000"}})
                          .config.batch;
  EXPECT_EQ(env.max_queue_size, 100u);
  EXPECT_EQ(env.max_export_batch_size, 10u);
  EXPECT_EQ(env.schedule_delay, std::chrono::milliseconds(250));
  EXPECT_EQ(env.export_timeout, std::chrono::milliseconds(4000));

  ResolvedExportConfig clamped = Resolve(
      Enabled(), {{"OTEL_BSP_MAX_QUEUE_SIZE", "8"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64"}});
  EXPECT_EQ(clamped.config.batch.max_export_batch_size, 8u);
  EXPECT_EQ(clamped.warnings.size(), 1u);
  ResolvedExportConfig bad = Resolve(Enabled(), {{"OTEL_BSP_MAX_QUEUE_SIZE", "-3"}});
  EXPECT_EQ(bad.config.batch.max_queue_size, 2048u);
  EXPECT_THAT(bad.warnings, ::testing::ElementsAre(HasSubstr("OTEL_BSP_MAX_QUEUE_SIZE")));
}

TEST(OtlpExportConfigTest, ResourceDefaults) {
  Attributes resource = Resolve(Enabled()).config.resource;
  EXPECT_EQ(*Find(resource, "service.name"), AttributeValue(std::string("weft-etl")));
  EXPECT_EQ(*Find(resource, "telemetry.sdk.name"), AttributeValue(std::string("weft")));
  EXPECT_EQ(*Find(resource, "telemetry.sdk.language"), AttributeValue(std::string("cpp")));
  ASSERT_NE(Find(resource, "telemetry.sdk.version"), nullptr);
  ASSERT_NE(Find(resource, "host.name"), nullptr);
  EXPECT_EQ(*Find(resource, "process.pid"), AttributeValue(std::int64_t{getpid()}));
}

TEST(OtlpExportConfigTest, ResourcePrecedence) {
  Env env = {{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,team=data%20eng,env=dev"},
             {"OTEL_SERVICE_NAME", "from-service-name"}};
  Attributes from_env = Resolve(Enabled(), env).config.resource;
  EXPECT_EQ(*Find(from_env, "service.name"), AttributeValue(std::string("from-service-name")));
  EXPECT_EQ(*Find(from_env, "team"), AttributeValue(std::string("data eng")));

  dag::OtelConfig otel = Enabled();
  otel.resource["service.name"] = std::string("from-yaml");
  otel.resource["env"] = std::string("prod");
  otel.resource["replicas"] = std::int64_t{3};
  otel.resource["canary"] = true;
  otel.resource["weight"] = 0.5;
  Attributes resource = Resolve(otel, env).config.resource;
  EXPECT_EQ(*Find(resource, "service.name"), AttributeValue(std::string("from-yaml")));
  EXPECT_EQ(*Find(resource, "env"), AttributeValue(std::string("prod")));
  EXPECT_EQ(*Find(resource, "team"), AttributeValue(std::string("data eng")));
  EXPECT_EQ(*Find(resource, "replicas"), AttributeValue(std::int64_t{3}));
  EXPECT_EQ(*Find(resource, "canary"), AttributeValue(true));
  EXPECT_EQ(*Find(resource, "weight"), AttributeValue(0.5));
  EXPECT_TRUE(std::is_sorted(resource.begin(), resource.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
}

TEST(OtlpExportConfigTest, ParseKeyValueList) {
  int skipped = 0;
  auto list = ParseKeyValueList(" a = 1 ,, b=x=y , c=%41%zz%4 ,noequals, =v", &skipped);
  EXPECT_EQ(list, (std::vector<std::pair<std::string, std::string>>{
                      {"a", "1"}, {"b", "x=y"}, {"c", "A%zz%4"}}));
  EXPECT_EQ(skipped, 2);
  EXPECT_TRUE(ParseKeyValueList("", &skipped).empty());
  EXPECT_EQ(skipped, 0);
}

TEST(OtlpExportConfigTest, DescriptionMasksHeaderValues) {
  dag::OtelConfig otel = Enabled("https://c:4318/v1/traces");
  otel.headers["Authorization"] = "Bearer top-secret";
  otel.insecure = true;
  otel.compression = "gzip";
  std::string text = DescribeExportConfig(Resolve(otel).config);
  EXPECT_THAT(text, HasSubstr("authorization=****"));
  EXPECT_THAT(text, Not(HasSubstr("top-secret")));
  EXPECT_THAT(text, HasSubstr("protocol: http/protobuf"));
  EXPECT_THAT(text, HasSubstr("TLS, unverified"));
  EXPECT_THAT(text, HasSubstr("compression: gzip"));
  EXPECT_THAT(text, HasSubstr("service.name=\"weft-etl\""));
}

TEST(OtlpExportConfigTest, ExporterEnvironmentReproducesTheConfig) {
  dag::OtelConfig otel = Enabled("collector:4317");
  otel.insecure = true;
  otel.headers["x-key"] = "a,b=c";
  otel.propagate_exporter_env = true;
  ResolvedExportConfig r = Resolve(otel);
  EXPECT_TRUE(r.config.propagate_exporter_env);
  std::map<std::string, std::string> env;
  for (auto& [k, v] : ExporterEnvironment(r.config)) env[k] = v;
  EXPECT_EQ(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], "http://collector:4317");
  EXPECT_EQ(env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"], "grpc");
  EXPECT_EQ(env["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"], "10000");
  // Read back the way a step program's SDK would, through the same resolver.
  Env step_env(env.begin(), env.end());
  ResolvedExportConfig again = Resolve({}, step_env);
  EXPECT_EQ(again.config.resolved.target, "collector:4317");
  EXPECT_FALSE(again.config.resolved.tls);
  EXPECT_EQ(Header(again.config, "x-key"), "a,b=c");
  EXPECT_TRUE(ExporterEnvironment(Resolve({}).config).empty());
}

}  // namespace
}  // namespace weft::trace::otlp
