#pragma once

// Making trace and span ids (random, never all-zero) and reading them back from hex.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "trace/span.h"

namespace weft::trace {

// Draws trace and span ids from the kernel's CSPRNG (getrandom(2)). Bytes are fetched 256 at a
// time into a pool, so a new id costs a copy rather than a system call. Guarantees: every id
// is valid (an all-zero draw, chance 2^-64 or less, is discarded and drawn again), and no pool
// byte is handed out twice. Not synchronised: use one generator per thread.
class IdGenerator {
 public:
  // Fills the whole span with random bytes or throws std::system_error.
  using ByteSource = std::function<void(std::span<std::uint8_t>)>;

  IdGenerator();  // getrandom(2)
  explicit IdGenerator(ByteSource source);

  TraceId NewTraceId();
  SpanId NewSpanId();

 private:
  void Draw(std::span<std::uint8_t> out);

  ByteSource source_;
  std::array<std::uint8_t, 256> pool_{};
  std::size_t pool_used_ = pool_.size();
};

// Reads exactly 32 (trace) or 16 (span) hex digits; all-zero ids are returned as parsed (the
// caller decides whether "no id" is acceptable). W3C trace context allows only lower case;
// OTLP/JSON readers must accept either case.
enum class HexCase { kLowerOnly, kAny };
std::optional<TraceId> ParseTraceId(std::string_view hex, HexCase hex_case = HexCase::kLowerOnly);
std::optional<SpanId> ParseSpanId(std::string_view hex, HexCase hex_case = HexCase::kLowerOnly);

}  // namespace weft::trace
