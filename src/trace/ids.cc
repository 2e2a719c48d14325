#include "trace/ids.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace weft::trace {
namespace {

void FillFromGetrandom(std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    ssize_t n = ::getrandom(out.data() + filled, out.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(),
                              "getrandom(2) failed: cannot make trace ids");
    }
    filled += static_cast<std::size_t>(n);
  }
}

std::optional<std::uint8_t> HexDigit(char c, HexCase hex_case) {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
  if (hex_case == HexCase::kAny && c >= 'A' && c <= 'F') {
    return static_cast<std::uint8_t>(c - 'A' + 10);
  }
  return std::nullopt;
}

bool ParseHexBytes(std::string_view hex, HexCase hex_case, std::span<std::uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto high = HexDigit(hex[2 * i], hex_case);
    auto low = HexDigit(hex[2 * i + 1], hex_case);
    if (!high || !low) return false;
    out[i] = static_cast<std::uint8_t>(*high << 4 | *low);
  }
  return true;
}

}  // namespace

IdGenerator::IdGenerator() : IdGenerator(FillFromGetrandom) {}

IdGenerator::IdGenerator(ByteSource source) : source_(std::move(source)) {}

void IdGenerator::Draw(std::span<std::uint8_t> out) {
  std::size_t copied = 0;
  while (copied < out.size()) {
    if (pool_used_ == pool_.size()) {
      source_(pool_);
      pool_used_ = 0;
    }
    std::size_t n = std::min(out.size() - copied, pool_.size() - pool_used_);
    std::copy_n(pool_.begin() + static_cast<std::ptrdiff_t>(pool_used_), n,
                out.begin() + static_cast<std::ptrdiff_t>(copied));
    pool_used_ += n;
    copied += n;
  }
}

TraceId IdGenerator::NewTraceId() {
  TraceId id;
  do {
    Draw(id.bytes);
  } while (!id.IsValid());
  return id;
}

SpanId IdGenerator::NewSpanId() {
  SpanId id;
  do {
    Draw(id.bytes);
  } while (!id.IsValid());
  return id;
}

std::optional<TraceId> ParseTraceId(std::string_view hex, HexCase hex_case) {
  TraceId id;
  if (!ParseHexBytes(hex, hex_case, id.bytes)) return std::nullopt;
  return id;
}

std::optional<SpanId> ParseSpanId(std::string_view hex, HexCase hex_case) {
  SpanId id;
  if (!ParseHexBytes(hex, hex_case, id.bytes)) return std::nullopt;
  return id;
}

}  // namespace weft::trace
