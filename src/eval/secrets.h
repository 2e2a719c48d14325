#pragma once

// Secrets (§5.1): which variables hold secrets, and masking their values out of what weft itself
// prints and records (its messages, `weft status`, `weft dry`, the run store). Step programs
// still get the real values in their environment; what a step prints to its own logs is its own.

#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dag/dag.h"
#include "eval/variables.h"

namespace weft::eval {

// What a masked value is replaced with.
inline constexpr std::string_view kMasked = "***";

// True when `name` holds a secret: it contains TOKEN, SECRET, PASSWORD or KEY (in any case:
// GITHUB_TOKEN, db_password, ApiKey), or it is listed in `declared` (a DAG's `secrets:`).
bool IsSecretName(std::string_view name, const std::vector<std::string>& declared = {});

// Replaces every occurrence of a known secret value in a text. Values shorter than
// kMinMaskedLength are not masked inside free text: a one-character secret would turn every
// such character of a message into `***`. Fields known to hold a secret (a secret param's value,
// a header value) are masked whole by their owner, whatever their length, with kMasked.
class SecretMasker {
 public:
  static constexpr std::size_t kMinMaskedLength = 4;

  // Adds the value of every variable of `vars` whose name is a secret (IsSecretName).
  void AddSecretVariables(const Variables& vars, const std::vector<std::string>& declared);
  // Adds the value of every NAME=value entry of a `environ`-style array whose NAME is a secret.
  void AddSecretEnvironment(char** environ, const std::vector<std::string>& declared);
  // Adds one value to mask.
  void Add(std::string_view value);

  // `text` with every secret value replaced by kMasked. Where two values overlap, the longer one
  // is masked. A position is compared only with the values that start with its byte, so text
  // with no such byte costs one table lookup per byte.
  std::string Mask(std::string_view text) const;

  // Where to cut `text` at or after `at` so that the part from there on holds no piece of a
  // value without the whole of it: `at`, or the end of the values that span it. For showing
  // the end of a text, whose start would otherwise show a secret's tail unmasked.
  std::size_t CutAfterValuesSpanning(std::string_view text, std::size_t at) const;

  // The length of the longest value; 0 when there is none.
  std::size_t longest() const { return values_.empty() ? 0 : values_.front().size(); }

  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::string> values_;  // longest first, each once
  std::bitset<256> first_bytes_;     // the first byte of every value
};

// A params JSON object (`DAG_PARAMS_JSON`, the store's params) as shown to people: the value of
// every param whose name is secret (IsSecretName with `declared`) becomes kMasked, and those
// values are masked inside the other params' values. Text that is not a JSON object is returned
// as it is; bytes that are not UTF-8 become U+FFFD.
std::string MaskSecretParams(const std::string& params_json,
                             const std::vector<std::string>& declared);

// The values of the secret params of a params JSON object (IsSecretName with `declared`), for
// masking texts about a run that only its stored params describe (`weft status`).
SecretMasker SecretParamValues(const std::string& params_json,
                               const std::vector<std::string>& declared);

// The secrets of a run, for masking what weft prints and records about it: the values of its
// secret variables (`vars` holds the process environment, params, env and dotenv entries), of
// its `otel.headers` as expanded with `vars`, and of the headers in the
// OTEL_EXPORTER_OTLP_[TRACES_]HEADERS variables of `vars`.
SecretMasker RunSecrets(const dag::Dag& dag, const Variables& vars);

}  // namespace weft::eval
