#pragma once

// The endpoint and protocol rules of SPEC §5.2: which OTLP protocol an endpoint speaks, and
// whether and how its connection is secured. Pure functions, so every row of the table is
// unit-tested.

#include <optional>
#include <string>
#include <string_view>

namespace weft::trace::otlp {

enum class Protocol { kGrpc, kHttpProtobuf, kHttpJson };

// "grpc", "http/protobuf", "http/json" (the OTEL_EXPORTER_OTLP_PROTOCOL spellings).
std::optional<Protocol> ParseProtocol(std::string_view text);
std::string_view ProtocolName(Protocol protocol);

// What was configured.
struct EndpointRequest {
  std::string endpoint;              // as configured, e.g. "collector:4317"
  std::optional<Protocol> protocol;  // explicit protocol; nullopt = decide from the endpoint
  bool insecure = false;
  // The endpoint is a base URL (generic OTEL_EXPORTER_OTLP_ENDPOINT): HTTP appends /v1/traces.
  bool is_base_url = false;
};

// Where and how to connect.
struct Endpoint {
  Protocol protocol = Protocol::kGrpc;
  // gRPC: the channel target "host:port" (no scheme: gRPC would read it as a DNS name).
  // HTTP: the full URL with its scheme.
  std::string target;
  bool tls = false;
  bool verify_peer = true;  // false only for https with `insecure: true`
};

// Applies the rules, in this order:
// - an explicit protocol decides; else a path ending in /v1/traces means http/protobuf; else gRPC.
// - gRPC: http:// is plaintext, https:// is TLS, host:port is TLS unless insecure; a missing
//   port is 4317; a path is an error (gRPC has none).
// - HTTP: http:// is plaintext, https:// is TLS (insecure skips verification), a scheme-less
//   endpoint is https, or http when insecure. A base URL gets /v1/traces appended unless its
//   path already ends with it (so http://c:4318/v1/traces in the generic variable still works).
// Returns nullopt and sets *error (naming the endpoint and what to write instead) when the
// endpoint cannot be used.
std::optional<Endpoint> ResolveEndpoint(const EndpointRequest& request, std::string* error);

}  // namespace weft::trace::otlp
