#include "trace/otlp/curl_api.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <memory>

namespace weft::trace::otlp {
namespace {

constexpr const char* kLibcurl = "libcurl.so.4";

struct LibraryCloser {
  void operator()(void* handle) const { dlclose(handle); }
};
using Library = std::unique_ptr<void, LibraryCloser>;

template <typename Function>
bool Resolve(void* library, const char* name, Function* out, std::string* error) {
  void* symbol = dlsym(library, name);
  if (!symbol) {
    *error = fmt::format("it has no function {}", name);
    return false;
  }
  *out = reinterpret_cast<Function>(symbol);
  return true;
}

struct LoadedCurl {
  std::optional<CurlApi> api;
  std::string error;
};

}  // namespace

std::optional<CurlApi> CurlApi::Open(const char* library_name, std::string* error) {
  Library library(dlopen(library_name, RTLD_NOW | RTLD_LOCAL));
  if (!library) {
    const char* reason = dlerror();
    *error = fmt::format("cannot load {}: {}", library_name, reason ? reason : "unknown error");
    return std::nullopt;
  }
  CurlApi api;
  std::string missing;
  void* h = library.get();
  bool ok = Resolve(h, "curl_global_init", &api.global_init, &missing) &&
            Resolve(h, "curl_easy_init", &api.easy_init, &missing) &&
            Resolve(h, "curl_easy_setopt", &api.easy_setopt, &missing) &&
            Resolve(h, "curl_easy_perform", &api.easy_perform, &missing) &&
            Resolve(h, "curl_easy_getinfo", &api.easy_getinfo, &missing) &&
            Resolve(h, "curl_easy_strerror", &api.easy_strerror, &missing) &&
            Resolve(h, "curl_easy_cleanup", &api.easy_cleanup, &missing) &&
            Resolve(h, "curl_slist_append", &api.slist_append, &missing) &&
            Resolve(h, "curl_slist_free_all", &api.slist_free_all, &missing) &&
            Resolve(h, "curl_getdate", &api.getdate, &missing);
  if (!ok) {
    *error = fmt::format("{} is not a usable libcurl: {}", library_name, missing);
    return std::nullopt;
  }
  // The functions stay valid for the life of the process: the library is never closed.
  static_cast<void>(library.release());
  return api;
}

const CurlApi* CurlApi::Get(std::string* error) {
  static const LoadedCurl loaded = [] {
    LoadedCurl result;
    result.api = Open(kLibcurl, &result.error);
    if (result.api) {
      CURLcode code = result.api->global_init(CURL_GLOBAL_DEFAULT);
      if (code != CURLE_OK) {
        result.error =
            fmt::format("cannot initialise {}: {}", kLibcurl, result.api->easy_strerror(code));
        result.api.reset();
      }
    }
    return result;
  }();
  if (!loaded.api) {
    *error =
        fmt::format("OTLP/HTTP export needs libcurl (Debian package libcurl4): {}", loaded.error);
    return nullptr;
  }
  return &*loaded.api;
}

}  // namespace weft::trace::otlp
