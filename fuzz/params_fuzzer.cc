// The params parser (`params:` strings and `weft start --params`). Named params have valid
// names, a failure says why, and quoting the parsed params again parses to the same params:
// values are data, never re-split or re-interpreted.

#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "eval/params.h"
#include "eval/variables.h"

namespace {

std::string SingleQuoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto params = weft::eval::ParseParams(text, &error);
  if (!params) {
    WEFT_FUZZ_CHECK(!error.empty());
    return 0;
  }
  std::string requoted;
  for (const auto& param : *params) {
    WEFT_FUZZ_CHECK(param.name.empty() || weft::eval::IsVariableName(param.name));
    if (!requoted.empty()) requoted += ' ';
    if (!param.name.empty()) requoted += param.name + "=";
    requoted += SingleQuoted(param.value);
  }
  const auto again = weft::eval::ParseParams(requoted, &error);
  WEFT_FUZZ_CHECK(again.has_value());
  WEFT_FUZZ_CHECK(again->size() == params->size());
  for (std::size_t i = 0; i < params->size(); ++i) {
    WEFT_FUZZ_CHECK((*again)[i].name == (*params)[i].name);
    WEFT_FUZZ_CHECK((*again)[i].value == (*params)[i].value);
  }
  return 0;
}
