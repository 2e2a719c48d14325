#include "trace/span.h"

#include <algorithm>
#include <span>

namespace weft::trace {
namespace {

std::string LowerHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (std::uint8_t byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0f]);
  }
  return hex;
}

bool AnyNonZero(std::span<const std::uint8_t> bytes) {
  return std::any_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b != 0; });
}

}  // namespace

bool TraceId::IsValid() const { return AnyNonZero(bytes); }
std::string TraceId::Hex() const { return LowerHex(bytes); }

bool SpanId::IsValid() const { return AnyNonZero(bytes); }
std::string SpanId::Hex() const { return LowerHex(bytes); }

}  // namespace weft::trace
