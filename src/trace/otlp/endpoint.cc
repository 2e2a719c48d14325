#include "trace/otlp/endpoint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace weft::trace::otlp {
namespace {

constexpr std::string_view kTracesPath = "/v1/traces";
constexpr std::string_view kDefaultGrpcPort = "4317";

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// An endpoint split into scheme ("" when none), authority (host[:port]) and path.
struct EndpointParts {
  std::string scheme;
  std::string authority;
  std::string path;  // "" or starting with '/'; any query is kept in it
};

EndpointParts Split(std::string_view endpoint) {
  EndpointParts parts;
  if (std::size_t sep = endpoint.find("://"); sep != std::string_view::npos) {
    parts.scheme = Lower(endpoint.substr(0, sep));
    endpoint.remove_prefix(sep + 3);
  }
  std::size_t slash = endpoint.find('/');
  parts.authority = std::string(endpoint.substr(0, slash));
  if (slash != std::string_view::npos) parts.path = std::string(endpoint.substr(slash));
  return parts;
}

bool PathEndsWithTraces(std::string_view path) {
  if (std::size_t query = path.find('?'); query != std::string_view::npos) {
    path = path.substr(0, query);
  }
  return path.ends_with(kTracesPath);
}

bool HasPort(std::string_view authority) {
  if (authority.starts_with('[')) {  // [v6-address]:port
    std::size_t close = authority.find(']');
    return close != std::string_view::npos && close + 1 < authority.size() &&
           authority[close + 1] == ':';
  }
  return authority.find(':') != std::string_view::npos;
}

}  // namespace

std::optional<Protocol> ParseProtocol(std::string_view text) {
  if (text == "grpc") return Protocol::kGrpc;
  if (text == "http/protobuf") return Protocol::kHttpProtobuf;
  if (text == "http/json") return Protocol::kHttpJson;
  return std::nullopt;
}

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kGrpc:
      return "grpc";
    case Protocol::kHttpProtobuf:
      return "http/protobuf";
    case Protocol::kHttpJson:
      return "http/json";
  }
  return "grpc";
}

std::optional<Endpoint> ResolveEndpoint(const EndpointRequest& request, std::string* error) {
  const std::string& raw = request.endpoint;
  if (raw.empty()) {
    *error = "the OTLP endpoint is empty; set otel.endpoint, e.g. \"localhost:4317\"";
    return std::nullopt;
  }
  if (std::any_of(raw.begin(), raw.end(),
                  [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); })) {
    *error = fmt::format("OTLP endpoint \"{}\" contains white space; remove it", raw);
    return std::nullopt;
  }
  EndpointParts parts = Split(raw);
  if (!parts.scheme.empty() && parts.scheme != "http" && parts.scheme != "https") {
    *error = fmt::format(
        "OTLP endpoint \"{}\" has scheme \"{}\"; use http://, https:// or plain host:port", raw,
        parts.scheme);
    return std::nullopt;
  }
  if (parts.authority.empty()) {
    *error = fmt::format("OTLP endpoint \"{}\" names no host; write host:port", raw);
    return std::nullopt;
  }

  Endpoint out;
  out.protocol = request.protocol.value_or(PathEndsWithTraces(parts.path) ? Protocol::kHttpProtobuf
                                                                          : Protocol::kGrpc);
  if (out.protocol == Protocol::kGrpc) {
    if (!parts.path.empty() && parts.path != "/") {
      *error = fmt::format(
          "OTLP/gRPC endpoint \"{}\" has a path \"{}\"; gRPC takes host:port only (for OTLP/HTTP "
          "end the path with /v1/traces or set otel.protocol)",
          raw, parts.path);
      return std::nullopt;
    }
    out.target = parts.authority;
    if (!HasPort(out.target)) out.target += fmt::format(":{}", kDefaultGrpcPort);
    out.tls = parts.scheme.empty() ? !request.insecure : parts.scheme == "https";
    out.verify_peer = true;
    return out;
  }

  std::string scheme = parts.scheme.empty() ? (request.insecure ? "http" : "https") : parts.scheme;
  std::string path = parts.path;
  if (request.is_base_url && !PathEndsWithTraces(path)) {
    while (path.ends_with('/')) path.pop_back();
    path += kTracesPath;
  }
  out.target = fmt::format("{}://{}{}", scheme, parts.authority, path);
  out.tls = scheme == "https";
  out.verify_peer = !(out.tls && request.insecure);
  return out;
}

}  // namespace weft::trace::otlp
