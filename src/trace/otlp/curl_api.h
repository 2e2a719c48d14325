#pragma once

// libcurl for the OTLP/HTTP exporter, opened at run time rather than linked.

#include <curl/curl.h>

#include <optional>
#include <string>

namespace weft::trace::otlp {

// CurlApi: the libcurl functions weft calls, resolved with dlopen the first time OTLP/HTTP needs
// them. Linking libcurl would map it and the ~30 libraries it depends on (TLS, Kerberos, LDAP,
// SSH, IDN...) into every weft process at start-up, about 14 M instructions of dynamic linking
// for a library that only an HTTP export uses. Once opened, the library stays loaded for the
// life of the process (libcurl's global state is never torn down).
struct CurlApi {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
  decltype(&::curl_getdate) getdate = nullptr;

  // The system's libcurl (libcurl.so.4), opened and globally initialised once per process;
  // nullptr when it cannot be, with the reason in `*error`. Thread-safe.
  static const CurlApi* Get(std::string* error);

  // `library` opened and every function resolved, or nullopt with the reason in `*error` (the
  // library is closed again). Get uses it; tests use it on libraries that are not libcurl.
  static std::optional<CurlApi> Open(const char* library, std::string* error);
};

}  // namespace weft::trace::otlp
