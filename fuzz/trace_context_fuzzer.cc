// The inbound W3C trace context (§5.4). Input: a TRACEPARENT line, a TRACESTATE line, then
// BAGGAGE; an odd-sized input gives them under their lower-case names instead. A parsed
// traceparent formats back to a value that parses to the same context (and to the input itself
// for version 00); a parsed tracestate keeps its limits and survives being formatted, trimmed
// and parsed again; warnings about ignored values hold no control characters.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "check.h"
#include "lines.h"
#include "trace/trace_context.h"

namespace {

bool HasControlCharacters(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void CheckTraceParent(std::string_view value) {
  const auto context = weft::trace::ParseTraceParent(value);
  if (!context) return;
  const std::string formatted = weft::trace::FormatTraceParent(*context);
  WEFT_FUZZ_CHECK(weft::trace::ParseTraceParent(formatted) == context);
  if (value.starts_with("00-")) WEFT_FUZZ_CHECK(formatted == value);
}

void CheckTraceState(std::string_view value) {
  const auto state = weft::trace::ParseTraceState(value);
  if (!state) return;
  WEFT_FUZZ_CHECK(state->members.size() <= weft::trace::kMaxTraceStateMembers);
  const std::string whole =
      weft::trace::FormatTraceState(*state, std::numeric_limits<std::size_t>::max());
  WEFT_FUZZ_CHECK(weft::trace::ParseTraceState(whole) == state);
  for (std::size_t max_chars : {weft::trace::kTraceStateForwardChars, std::size_t{64}}) {
    const std::string trimmed = weft::trace::FormatTraceState(*state, max_chars);
    WEFT_FUZZ_CHECK(trimmed.size() <= max_chars);
    WEFT_FUZZ_CHECK(weft::trace::ParseTraceState(trimmed).has_value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto fields = SplitFuzzInput(data, size, 3);
  const std::string traceparent(fields[0]);
  const std::string tracestate(fields[1]);
  const std::string baggage(fields[2]);
  const bool lower_case = size % 2 == 1;

  CheckTraceParent(traceparent);
  CheckTraceState(tracestate);

  const auto inbound =
      weft::trace::ReadInboundContext([&](const std::string& name) -> std::optional<std::string> {
        if (name == (lower_case ? "traceparent" : "TRACEPARENT")) return traceparent;
        if (name == (lower_case ? "tracestate" : "TRACESTATE")) return tracestate;
        if (name == (lower_case ? "baggage" : "BAGGAGE")) return baggage;
        return std::nullopt;
      });
  WEFT_FUZZ_CHECK(inbound.parent.has_value() || inbound.trace_state.empty());
  for (const std::string& warning : inbound.warnings) {
    WEFT_FUZZ_CHECK(!HasControlCharacters(warning));
  }
  return 0;
}
