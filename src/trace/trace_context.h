#pragma once

// W3C Trace Context (https://www.w3.org/TR/trace-context/) carried in environment variables
// (OpenTelemetry's environment carrier): parsing and formatting `traceparent` and `tracestate`,
// and reading what `weft start` was given by its caller.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trace/span.h"

namespace weft::trace {

inline constexpr std::uint8_t kSampledFlag = 0x01;

// The part of a span's identity that crosses a process boundary.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  std::uint8_t flags = 0;  // W3C trace flags; bit 0 = sampled
  bool sampled() const { return (flags & kSampledFlag) != 0; }
  bool operator==(const SpanContext&) const = default;
};

// Parses a traceparent strictly: lower-case hex only, version `ff` rejected, all-zero trace
// or parent id rejected, version 00 exactly 55 characters; a higher version may carry more
// `-`-separated fields after the flags, which are ignored. On failure returns nullopt and, when
// `error` is given, stores why (a phrase such as "trace id is all zeros").
std::optional<SpanContext> ParseTraceParent(std::string_view value, std::string* error = nullptr);

// Version 00 form: `00-<32 hex>-<16 hex>-<2 hex>`.
std::string FormatTraceParent(const SpanContext& context);

// An ordered tracestate list; the left-most member is the most recently updated vendor's.
struct TraceState {
  std::vector<std::pair<std::string, std::string>> members;
  bool empty() const { return members.empty(); }
  bool operator==(const TraceState&) const = default;
};

inline constexpr std::size_t kMaxTraceStateMembers = 32;
// W3C: propagate at least 512 characters; members over 128 characters go first when trimming.
inline constexpr std::size_t kTraceStateForwardChars = 512;
inline constexpr std::size_t kTraceStateLargeMemberChars = 128;

// Parses a tracestate: comma-separated `key=value` members (optional whitespace around the
// commas, empty members skipped), keys and values per W3C syntax, keys unique, at most 32
// members. Any fault rejects the whole value (nullopt, and `error` says why).
std::optional<TraceState> ParseTraceState(std::string_view value, std::string* error = nullptr);

// The combined header value to forward, at most `max_chars` long (commas included): when too
// long, members longer than 128 characters are dropped first, then members from the end.
// Members are never cut.
std::string FormatTraceState(const TraceState& state,
                             std::size_t max_chars = kTraceStateForwardChars);

// The environment-variable name for a propagation key (OpenTelemetry environment carrier):
// upper-cased, every character outside [A-Za-z0-9_] replaced by `_`. "traceparent" ->
// "TRACEPARENT".
std::string EnvCarrierName(std::string_view key);

// What a process received from its parent through the environment.
struct InboundContext {
  std::optional<SpanContext> parent;  // a valid traceparent, if one was given
  TraceState trace_state;             // only read alongside a valid traceparent
  std::string baggage;                // W3C baggage, passed on verbatim
  std::vector<std::string> warnings;  // one line per ignored invalid value
};

// Returns the value of an environment variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
std::optional<std::string> LookupProcessEnvironment(const std::string& name);

// Reads TRACEPARENT, TRACESTATE and BAGGAGE, each under its carrier name first and then under
// the lower-case header name. The first variable that is set is the one used: an invalid
// upper-case TRACEPARENT is not replaced by a lower-case one. Invalid values are ignored with a
// warning (a new trace starts; an invalid tracestate is not forwarded).
InboundContext ReadInboundContext(const EnvLookup& lookup = LookupProcessEnvironment);

// The warning for an ignored inbound value, e.g.
// `ignoring TRACEPARENT "00-...": trace id is all zeros; starting a new trace`.
// The value is quoted with escapes and shortened, so any bytes are safe to print.
std::string InvalidInboundWarning(std::string_view variable, std::string_view value,
                                  std::string_view reason);

}  // namespace weft::trace
