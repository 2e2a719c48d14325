#include "trace/otlp/duration.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace weft::trace::otlp {
namespace {

// Units in milliseconds, longest spelling first so that "ms" is not read as "m" then "s".
constexpr std::array<std::pair<std::string_view, double>, 7> kUnits = {{
    {"ms", 1.0},
    {"us", 1e-3},
    {"\xC2\xB5s", 1e-3},  // µs
    {"ns", 1e-6},
    {"h", 3'600'000.0},
    {"m", 60'000.0},
    {"s", 1'000.0},
}};

// Reads a non-negative decimal number ("12", "1.5", ".5") from the front of text.
std::optional<double> TakeNumber(std::string_view& text) {
  std::size_t end = 0;
  bool digits = false;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end, digits = true;
  if (end < text.size() && text[end] == '.') {
    ++end;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end, digits = true;
  }
  if (!digits) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, value);
  if (ec != std::errc() || ptr != text.data() + end) return std::nullopt;
  text.remove_prefix(end);
  return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::string_view rest = text;
  std::optional<double> first = TakeNumber(rest);
  if (!first) return std::nullopt;
  double total_ms = 0;
  if (rest.empty()) {
    total_ms = *first * 1000.0;  // a bare number is seconds
  } else {
    std::optional<double> number = first;
    while (number) {
      bool matched = false;
      for (const auto& [unit, ms] : kUnits) {
        if (rest.starts_with(unit)) {
          total_ms += *number * ms;
          rest.remove_prefix(unit.size());
          matched = true;
          break;
        }
      }
      if (!matched) return std::nullopt;
      if (rest.empty()) break;
      number = TakeNumber(rest);
      if (!number) return std::nullopt;
    }
  }
  // Keep far from the range of the int64 tick count so deadline arithmetic cannot overflow.
  constexpr double kMaxMs = 1e12;
  if (!std::isfinite(total_ms) || total_ms > kMaxMs) return std::nullopt;
  return std::chrono::milliseconds(std::llround(total_ms));
}

}  // namespace weft::trace::otlp
