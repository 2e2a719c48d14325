#include "trace/otlp/http_transport.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>

#include "trace/otlp/curl_api.h"
#include "trace/otlp/proto_encoding.h"
#include "trace/otlp_json.h"

namespace weft::trace::otlp {
namespace {

struct CurlHandleDeleter {
  const CurlApi* curl = nullptr;
  void operator()(CURL* handle) const { curl->easy_cleanup(handle); }
};
struct CurlListDeleter {
  const CurlApi* curl = nullptr;
  void operator()(curl_slist* list) const { curl->slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlHandleDeleter>;
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

// gzip (RFC 1952) of the body, for Content-Encoding: gzip.
std::string Gzip(std::string_view data) {
  z_stream stream{};
  // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's own.
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::size_t AppendBody(char* data, std::size_t size, std::size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

// Keeps the value of a Retry-After response header.
std::size_t ReadHeader(char* data, std::size_t size, std::size_t count, void* retry_after) {
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size() &&
      std::equal(kName.begin(), kName.end(), line.begin(),
                 [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
    std::string_view value = line.substr(kName.size());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    *static_cast<std::optional<std::string>*>(retry_after) = std::string(value);
  }
  return size * count;
}

int CheckAbort(void* aborted, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(aborted)->load() ? 1 : 0;
}

class HttpTransport final : public Transport {
 public:
  HttpTransport(const CurlApi& curl, const ExportConfig& config, const TlsMaterial& tls)
      : curl_(curl),
        json_(config.resolved.protocol == Protocol::kHttpJson),
        gzip_(config.compression == Compression::kGzip),
        handle_(curl.easy_init(), CurlHandleDeleter{&curl}),
        headers_(nullptr, CurlListDeleter{&curl}) {
    CURL* h = handle_.get();
    curl_slist* list = nullptr;
    list = curl_.slist_append(
        list, json_ ? "Content-Type: application/json" : "Content-Type: application/x-protobuf");
    if (gzip_) list = curl_.slist_append(list, "Content-Encoding: gzip");
    list = curl_.slist_append(list, "Expect:");  // no 100-continue round trip
    for (const auto& [key, value] : config.headers) {
      list = curl_.slist_append(list, fmt::format("{}: {}", key, value).c_str());
    }
    headers_.reset(list);

    curl_.easy_setopt(h, CURLOPT_URL, config.resolved.target.c_str());
    curl_.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_.easy_setopt(h, CURLOPT_HTTPHEADER, headers_.get());
    curl_.easy_setopt(h, CURLOPT_POST, 1L);
    curl_.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_.easy_setopt(h, CURLOPT_USERAGENT, "weft-otlp");
    curl_.easy_setopt(h, CURLOPT_WRITEFUNCTION, AppendBody);
    curl_.easy_setopt(h, CURLOPT_HEADERFUNCTION, ReadHeader);
    curl_.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, CheckAbort);
    curl_.easy_setopt(h, CURLOPT_XFERINFODATA, &aborted_);
    curl_.easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, config.resolved.verify_peer ? 1L : 0L);
    curl_.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, config.resolved.verify_peer ? 2L : 0L);
    if (!tls.ca.empty()) SetBlob(h, CURLOPT_CAINFO_BLOB, tls.ca);
    if (!tls.client_certificate.empty()) {
      SetBlob(h, CURLOPT_SSLCERT_BLOB, tls.client_certificate);
      curl_.easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
      SetBlob(h, CURLOPT_SSLKEY_BLOB, tls.client_key);
      curl_.easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
  }

  ExportResult Export(const ExportBatch& batch,
                      std::chrono::steady_clock::time_point deadline) override {
    if (aborted_) return Failure("export abandoned at the end of the run", false);
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) return Failure("export deadline passed before sending", false);

    std::string body = json_ ? EncodeExportRequest(batch) : SerializeRequest(batch);
    if (gzip_) body = Gzip(body);
    std::string response;
    std::optional<std::string> retry_after;
    CURL* h = handle_.get();
    curl_.easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
    curl_.easy_setopt(h, CURLOPT_WRITEDATA, &response);
    curl_.easy_setopt(h, CURLOPT_HEADERDATA, &retry_after);
    CURLcode code = curl_.easy_perform(h);
    if (code != CURLE_OK) return CurlFailure(code);

    long status = 0;
    curl_.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char* content_type = nullptr;
    curl_.easy_getinfo(h, CURLINFO_CONTENT_TYPE, &content_type);
    return ClassifyHttpResponse(
        status, content_type ? content_type : "", response,
        retry_after ? std::optional<std::string_view>(*retry_after) : std::nullopt,
        std::chrono::system_clock::now());
  }

  void Abort() override { aborted_ = true; }

 private:
  void SetBlob(CURL* handle, CURLoption option, const std::string& pem) {
    curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    curl_.easy_setopt(handle, option, &blob);
  }

  static ExportResult Failure(std::string message, bool unreachable) {
    ExportResult result;
    result.outcome = ExportOutcome::kRetryable;
    result.message = std::move(message);
    result.unreachable = unreachable;
    return result;
  }

  // Transport errors: a collector that cannot be reached, or an exchange cut short, may work
  // on a later try; a TLS setup the server rejects will not.
  ExportResult CurlFailure(CURLcode code) {
    std::string message = fmt::format("HTTP export failed: {}", curl_.easy_strerror(code));
    switch (code) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        return Failure(std::move(message), true);
      case CURLE_ABORTED_BY_CALLBACK:
        return Failure("export abandoned at the end of the run", false);
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CIPHER:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT: {
        ExportResult result;
        result.outcome = ExportOutcome::kPermanent;
        result.message = std::move(message);
        return result;
      }
      default:
        return Failure(std::move(message), false);
    }
  }

  const CurlApi& curl_;
  const bool json_;
  const bool gzip_;
  CurlHandle handle_;
  CurlList headers_;
  std::atomic<bool> aborted_ = false;
};

}  // namespace

std::unique_ptr<Transport> MakeHttpTransport(const ExportConfig& config, const TlsMaterial& tls,
                                             std::string* error) {
  const CurlApi* curl = CurlApi::Get(error);
  if (!curl) return nullptr;
  return std::make_unique<HttpTransport>(*curl, config, tls);
}

}  // namespace weft::trace::otlp
