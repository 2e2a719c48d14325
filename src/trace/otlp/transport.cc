#include "trace/otlp/transport.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "trace/otlp/grpc_transport.h"
#include "trace/otlp/http_transport.h"

namespace weft::trace::otlp {
namespace {

bool ReadFile(const std::string& path, std::string_view setting, std::string* contents,
              std::string* error) {
  if (path.empty()) return true;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = fmt::format("cannot read {} file \"{}\": {}; check the path and its permissions",
                         setting, path, std::strerror(errno));
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *contents = buffer.str();
  if (contents->empty()) {
    *error = fmt::format("{} file \"{}\" is empty; it must hold PEM data", setting, path);
    return false;
  }
  return true;
}

}  // namespace

bool ReadTlsMaterial(const ExportConfig& config, TlsMaterial* material, std::string* error) {
  return ReadFile(config.certificate, "otel.certificate (CA)", &material->ca, error) &&
         ReadFile(config.client_certificate, "otel.client_certificate",
                  &material->client_certificate, error) &&
         ReadFile(config.client_key, "otel.client_key", &material->client_key, error);
}

std::unique_ptr<Transport> MakeTransport(const ExportConfig& config, std::string* error) {
  TlsMaterial tls;
  if (!ReadTlsMaterial(config, &tls, error)) return nullptr;
  if (config.resolved.protocol == Protocol::kGrpc) return MakeGrpcTransport(config, tls);
  return MakeHttpTransport(config, tls, error);
}

}  // namespace weft::trace::otlp
