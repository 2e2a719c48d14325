#include "eval/secrets.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "eval/run_scope.h"

namespace weft::eval {

bool IsSecretName(std::string_view name, const std::vector<std::string>& declared) {
  if (std::find(declared.begin(), declared.end(), name) != declared.end()) return true;
  std::string upper(name);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  constexpr std::array<std::string_view, 4> kMarks = {"TOKEN", "SECRET", "PASSWORD", "KEY"};
  return std::any_of(kMarks.begin(), kMarks.end(), [&upper](std::string_view mark) {
    return upper.find(mark) != std::string::npos;
  });
}

void SecretMasker::AddSecretVariables(const Variables& vars,
                                      const std::vector<std::string>& declared) {
  vars.ForEach([&](const std::string& name, const std::string& value) {
    if (IsSecretName(name, declared)) Add(value);
  });
}

void SecretMasker::AddSecretEnvironment(char** environ, const std::vector<std::string>& declared) {
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t equals = text.find('=');
    if (equals != std::string_view::npos && IsSecretName(text.substr(0, equals), declared)) {
      Add(text.substr(equals + 1));
    }
  }
}

void SecretMasker::Add(std::string_view value) {
  if (value.size() < kMinMaskedLength) return;
  if (std::find(values_.begin(), values_.end(), value) != values_.end()) return;
  // Kept longest first, so that Mask tries a longer value before a shorter one inside it.
  const auto at = std::find_if(values_.begin(), values_.end(),
                               [&value](const std::string& v) { return v.size() < value.size(); });
  values_.emplace(at, value);
  first_bytes_.set(static_cast<unsigned char>(value.front()));
}

std::string SecretMasker::Mask(std::string_view text) const {
  if (values_.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (!first_bytes_.test(static_cast<unsigned char>(text[i]))) {
      out.push_back(text[i++]);
      continue;
    }
    const auto match = std::find_if(values_.begin(), values_.end(), [&](const std::string& v) {
      return text.compare(i, v.size(), v) == 0;
    });
    if (match == values_.end()) {
      out.push_back(text[i++]);
    } else {
      out += kMasked;
      i += match->size();
    }
  }
  return out;
}

std::size_t SecretMasker::CutAfterValuesSpanning(std::string_view text, std::size_t at) const {
  at = std::min(at, text.size());
  // Moving past one value may land inside another that overlaps it; each move goes forward.
  for (bool moved = true; moved;) {
    moved = false;
    for (const std::string& v : values_) {
      if (at == 0 || at >= text.size()) return at;
      // A value spanning `at` starts in the v.size() - 1 bytes before it.
      const std::size_t from = at >= v.size() ? at - v.size() + 1 : 0;
      for (std::size_t start = text.find(v, from); start != std::string_view::npos && start < at;
           start = text.find(v, start + 1)) {
        if (start + v.size() > at) {
          at = start + v.size();
          moved = true;
          break;
        }
      }
    }
  }
  return at;
}

namespace {

// The values of the secret params of a parsed params object.
SecretMasker SecretValuesOf(const nlohmann::ordered_json& params,
                            const std::vector<std::string>& declared) {
  SecretMasker values;
  for (const auto& [name, value] : params.items()) {
    if (IsSecretName(name, declared) && value.is_string()) {
      values.Add(value.get_ref<const std::string&>());
    }
  }
  return values;
}

}  // namespace

std::string MaskSecretParams(const std::string& params_json,
                             const std::vector<std::string>& declared) {
  auto params = nlohmann::ordered_json::parse(params_json, nullptr, /*allow_exceptions=*/false);
  if (!params.is_object()) return params_json;
  const SecretMasker values = SecretValuesOf(params, declared);
  for (auto& [name, value] : params.items()) {
    if (IsSecretName(name, declared)) value = kMasked;
  }
  for (auto& [name, value] : params.items()) {
    if (value.is_string()) value = values.Mask(value.get_ref<const std::string&>());
  }
  return params.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

SecretMasker SecretParamValues(const std::string& params_json,
                               const std::vector<std::string>& declared) {
  const auto params =
      nlohmann::ordered_json::parse(params_json, nullptr, /*allow_exceptions=*/false);
  return params.is_object() ? SecretValuesOf(params, declared) : SecretMasker();
}

SecretMasker RunSecrets(const dag::Dag& dag, const Variables& vars) {
  SecretMasker masker;
  masker.AddSecretVariables(vars, dag.secrets);
  for (const auto& [name, value] : ExpandOtelConfig(dag.otel, vars).headers) masker.Add(value);
  for (const char* name : {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    const std::string* headers = vars.Find(name);
    if (headers == nullptr) continue;
    std::string_view rest = *headers;
    while (!rest.empty()) {
      const std::string_view header = rest.substr(0, rest.find(','));
      rest.remove_prefix(std::min(rest.size(), header.size() + 1));
      if (const std::size_t equals = header.find('='); equals != std::string_view::npos) {
        masker.Add(header.substr(equals + 1));
      }
    }
  }
  return masker;
}

}  // namespace weft::eval
