#include "trace/otlp/endpoint.h"

#include <gtest/gtest.h>

namespace weft::trace::otlp {
namespace {

EndpointRequest Req(std::string endpoint, std::optional<Protocol> protocol = std::nullopt,
                    bool insecure = false, bool is_base_url = false) {
  EndpointRequest request;
  request.endpoint = std::move(endpoint);
  request.protocol = protocol;
  request.insecure = insecure;
  request.is_base_url = is_base_url;
  return request;
}

Endpoint Resolve(EndpointRequest request) {
  std::string error;
  std::optional<Endpoint> endpoint = ResolveEndpoint(request, &error);
  EXPECT_TRUE(endpoint.has_value()) << request.endpoint << ": " << error;
  return endpoint.value_or(Endpoint{});
}

std::string ErrorOf(EndpointRequest request) {
  std::string error;
  EXPECT_FALSE(ResolveEndpoint(request, &error).has_value()) << request.endpoint;
  return error;
}

TEST(OtlpEndpointTest, ProtocolNamesRoundTrip) {
  for (Protocol p : {Protocol::kGrpc, Protocol::kHttpProtobuf, Protocol::kHttpJson}) {
    EXPECT_EQ(ParseProtocol(ProtocolName(p)), p);
  }
  EXPECT_EQ(ParseProtocol("http"), std::nullopt);
  EXPECT_EQ(ParseProtocol("GRPC"), std::nullopt);
}

TEST(OtlpEndpointTest, PathEndingInV1TracesMeansHttpProtobuf) {
  Endpoint ep = Resolve(Req("http://collector:4318/v1/traces"));
  EXPECT_EQ(ep.protocol, Protocol::kHttpProtobuf);
  EXPECT_EQ(ep.target, "http://collector:4318/v1/traces");
}

TEST(OtlpEndpointTest, AnythingElseMeansGrpc) {
  EXPECT_EQ(Resolve(Req("collector:4317")).protocol, Protocol::kGrpc);
  EXPECT_EQ(Resolve(Req("http://collector:4317")).protocol, Protocol::kGrpc);
  // The rule reads the path, ignoring a query string (Dagu's 4-character compare never matched).
  EXPECT_EQ(Resolve(Req("https://c/otlp/v1/traces?tenant=a")).protocol, Protocol::kHttpProtobuf);
}

TEST(OtlpEndpointTest, ExplicitProtocolDecides) {
  Endpoint json = Resolve(Req("http://c:4318/v1/traces", Protocol::kHttpJson));
  EXPECT_EQ(json.protocol, Protocol::kHttpJson);
  Endpoint http = Resolve(Req("http://c:4318", Protocol::kHttpProtobuf));
  EXPECT_EQ(http.protocol, Protocol::kHttpProtobuf);
  EXPECT_EQ(http.target, "http://c:4318");  // a configured traces endpoint is used as is
  EXPECT_EQ(Resolve(Req("c:4317", Protocol::kGrpc)).protocol, Protocol::kGrpc);
}

TEST(OtlpEndpointTest, GrpcHostPortIsTlsUnlessInsecure) {
  Endpoint tls = Resolve(Req("collector:4317"));
  EXPECT_EQ(tls.target, "collector:4317");
  EXPECT_TRUE(tls.tls);
  EXPECT_TRUE(tls.verify_peer);
  Endpoint plain = Resolve(Req("collector:4317", std::nullopt, true));
  EXPECT_EQ(plain.target, "collector:4317");
  EXPECT_FALSE(plain.tls);
}

TEST(OtlpEndpointTest, GrpcSchemeDecidesAndIsStrippedFromTheTarget) {
  Endpoint http = Resolve(Req("http://localhost:4317"));
  EXPECT_EQ(http.target, "localhost:4317");
  EXPECT_FALSE(http.tls);
  Endpoint https = Resolve(Req("HTTPS://localhost:4317/", std::nullopt, true));
  EXPECT_EQ(https.target, "localhost:4317");
  EXPECT_TRUE(https.tls);
  EXPECT_TRUE(https.verify_peer);  // insecure only skips verification for OTLP/HTTP
}

TEST(OtlpEndpointTest, GrpcDefaultsThePort) {
  EXPECT_EQ(Resolve(Req("http://collector")).target, "collector:4317");
  EXPECT_EQ(Resolve(Req("[::1]")).target, "[::1]:4317");
  EXPECT_EQ(Resolve(Req("[::1]:9000")).target, "[::1]:9000");
}

TEST(OtlpEndpointTest, GrpcWithAPathIsAnError) {
  std::string error = ErrorOf(Req("http://c:4317/otlp", Protocol::kGrpc));
  EXPECT_NE(error.find("/otlp"), std::string::npos) << error;
  EXPECT_NE(error.find("host:port"), std::string::npos) << error;
}

TEST(OtlpEndpointTest, HttpSchemes) {
  Endpoint plain = Resolve(Req("http://c:4318/v1/traces"));
  EXPECT_FALSE(plain.tls);
  Endpoint tls = Resolve(Req("https://c:4318/v1/traces"));
  EXPECT_TRUE(tls.tls);
  EXPECT_TRUE(tls.verify_peer);
  Endpoint unverified = Resolve(Req("https://c:4318/v1/traces", std::nullopt, true));
  EXPECT_TRUE(unverified.tls);
  EXPECT_FALSE(unverified.verify_peer);
}

TEST(OtlpEndpointTest, SchemelessHttpIsHttpsOrHttpWhenInsecure) {
  Endpoint tls = Resolve(Req("c:4318/v1/traces"));
  EXPECT_EQ(tls.target, "https://c:4318/v1/traces");
  EXPECT_TRUE(tls.tls);
  EXPECT_TRUE(tls.verify_peer);
  Endpoint plain = Resolve(Req("c:4318/v1/traces", std::nullopt, true));
  EXPECT_EQ(plain.target, "http://c:4318/v1/traces");
  EXPECT_FALSE(plain.tls);
}

TEST(OtlpEndpointTest, BaseUrlGetsTracesPathForHttp) {
  auto base = [](std::string endpoint) {
    return Resolve(Req(endpoint, Protocol::kHttpProtobuf, false, true)).target;
  };
  EXPECT_EQ(base("http://c:4318"), "http://c:4318/v1/traces");
  EXPECT_EQ(base("http://c:4318/"), "http://c:4318/v1/traces");
  EXPECT_EQ(base("http://c:4318/prefix"), "http://c:4318/prefix/v1/traces");
  EXPECT_EQ(base("http://c:4318/v1/traces"), "http://c:4318/v1/traces");
  // gRPC has no path to append to.
  EXPECT_EQ(Resolve(Req("http://c:4317", std::nullopt, false, true)).target, "c:4317");
}

TEST(OtlpEndpointTest, UnusableEndpointsAreErrors) {
  EXPECT_NE(ErrorOf(Req("")).find("empty"), std::string::npos);
  EXPECT_NE(ErrorOf(Req("ftp://c:21")).find("ftp"), std::string::npos);
  EXPECT_NE(ErrorOf(Req("http:///v1/traces")).find("no host"), std::string::npos);
  EXPECT_NE(ErrorOf(Req("collector :4317")).find("white space"), std::string::npos);
}

}  // namespace
}  // namespace weft::trace::otlp
