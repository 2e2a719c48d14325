#include "trace/trace_context.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "trace/ids.h"

namespace weft::trace {
namespace {

// Long enough to recognise a value in a warning, short enough to keep a log line readable.
constexpr std::size_t kQuotedValueChars = 80;

std::string Quote(std::string_view text) {
  if (text.size() <= kQuotedValueChars) return fmt::format("{:?}", text);
  return fmt::format("{:?}...", text.substr(0, kQuotedValueChars));
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Why `field` is not `length` lower-case hex digits, or "" when it is.
std::string HexFieldFault(std::string_view field, std::string_view what, std::size_t length) {
  if (field.size() != length) {
    return fmt::format("{} has {} characters, expected {} hex digits", what, field.size(), length);
  }
  if (std::all_of(field.begin(), field.end(), IsLowerHex)) return "";
  bool upper_hex =
      std::any_of(field.begin(), field.end(), [](char c) { return c >= 'A' && c <= 'F'; });
  bool other = std::any_of(field.begin(), field.end(),
                           [](char c) { return !IsLowerHex(c) && !(c >= 'A' && c <= 'F'); });
  if (upper_hex && !other)
    return fmt::format("{} uses upper-case hex; only lower case is valid", what);
  return fmt::format("{} contains a character that is not a hex digit", what);
}

std::uint8_t HexByte(std::string_view two_digits) {
  auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  return static_cast<std::uint8_t>(digit(two_digits[0]) << 4 | digit(two_digits[1]));
}

std::optional<SpanContext> Fail(std::string* error, std::string reason) {
  if (error) *error = std::move(reason);
  return std::nullopt;
}

bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsKeyChar(char c) {
  return IsLcAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

// `first` then up to `max_rest` key characters.
bool MatchesKeyPart(std::string_view part, bool (*first)(char), std::size_t max_rest) {
  return !part.empty() && part.size() - 1 <= max_rest && first(part[0]) &&
         std::all_of(part.begin() + 1, part.end(), IsKeyChar);
}

// simple-key = lcalpha 0*255(keychar);
// multi-tenant-key = (lcalpha / DIGIT) 0*240(keychar) "@" lcalpha 0*13(keychar).
bool IsValidTraceStateKey(std::string_view key) {
  std::size_t at = key.find('@');
  if (at == std::string_view::npos) return MatchesKeyPart(key, IsLcAlpha, 255);
  auto tenant_first = [](char c) { return IsLcAlpha(c) || IsDigit(c); };
  return MatchesKeyPart(key.substr(0, at), tenant_first, 240) &&
         MatchesKeyPart(key.substr(at + 1), IsLcAlpha, 13);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = printable ASCII but , and =.
bool IsValidTraceStateValue(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e && c != ',' && c != '='; });
}

std::string_view TrimOws(std::string_view text) {
  auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
  return text;
}

struct EnvValue {
  std::string name;
  std::string value;
};

// The carrier name first, then the header name; an empty value counts as unset.
std::optional<EnvValue> FirstSet(const EnvLookup& lookup, std::string_view header) {
  for (std::string name : {EnvCarrierName(header), std::string(header)}) {
    std::optional<std::string> value = lookup(name);
    if (value && !value->empty()) return EnvValue{std::move(name), std::move(*value)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<SpanContext> ParseTraceParent(std::string_view value, std::string* error) {
  std::vector<std::string_view> fields = Split(value, '-');
  if (fields.size() < 4) {
    return Fail(error, "expected version-traceid-parentid-flags (2-32-16-2 hex digits)");
  }
  std::string_view version = fields[0];
  if (std::string fault = HexFieldFault(version, "version", 2); !fault.empty()) {
    return Fail(error, fault);
  }
  if (version == "ff") return Fail(error, "version ff is invalid");
  if (version == "00" && fields.size() != 4) {
    return Fail(error,
                fmt::format("version 00 must be exactly 55 characters, got {}", value.size()));
  }
  SpanContext context;
  if (std::string fault = HexFieldFault(fields[1], "trace id", 32); !fault.empty()) {
    return Fail(error, fault);
  }
  context.trace_id = *ParseTraceId(fields[1]);
  if (!context.trace_id.IsValid()) return Fail(error, "trace id is all zeros");
  if (std::string fault = HexFieldFault(fields[2], "parent id", 16); !fault.empty()) {
    return Fail(error, fault);
  }
  context.span_id = *ParseSpanId(fields[2]);
  if (!context.span_id.IsValid()) return Fail(error, "parent id is all zeros");
  if (std::string fault = HexFieldFault(fields[3], "flags", 2); !fault.empty()) {
    return Fail(error, fault);
  }
  context.flags = HexByte(fields[3]);
  return context;
}

// Built by hand: every step's start formats one, and fmt's parsing of the pattern cost three
// times the rest.
std::string FormatTraceParent(const SpanContext& context) {
  std::string header = "00-";
  header.reserve(55);  // 2 + 1 + 32 + 1 + 16 + 1 + 2
  header += context.trace_id.Hex();
  header += '-';
  header += context.span_id.Hex();
  header += '-';
  header += LowerHex({&context.flags, 1});
  return header;
}

std::optional<TraceState> ParseTraceState(std::string_view value, std::string* error) {
  auto fail = [error](std::string reason) -> std::optional<TraceState> {
    if (error) *error = std::move(reason);
    return std::nullopt;
  };
  TraceState state;
  std::set<std::string_view> keys;
  for (std::string_view member : Split(value, ',')) {
    member = TrimOws(member);
    if (member.empty()) continue;
    std::size_t equals = member.find('=');
    if (equals == std::string_view::npos) {
      return fail(fmt::format("member {} has no '=' (expected key=value)", Quote(member)));
    }
    std::string_view key = member.substr(0, equals);
    std::string_view member_value = member.substr(equals + 1);
    if (!IsValidTraceStateKey(key)) {
      return fail(
          fmt::format("key {} is invalid (lower-case letter first, then a-z 0-9 _ - * /, optional "
                      "tenant@system)",
                      Quote(key)));
    }
    if (!IsValidTraceStateValue(member_value)) {
      return fail(fmt::format(
          "value of key {} is invalid (1-256 printable ASCII characters, no ',' or '=')",
          Quote(key)));
    }
    if (!keys.insert(key).second) {
      return fail(fmt::format("key {} appears more than once", Quote(key)));
    }
    state.members.emplace_back(key, member_value);
  }
  if (state.members.size() > kMaxTraceStateMembers) {
    return fail(fmt::format("{} members; at most {} are allowed", state.members.size(),
                            kMaxTraceStateMembers));
  }
  return state;
}

std::string FormatTraceState(const TraceState& state, std::size_t max_chars) {
  std::vector<std::string> members;
  members.reserve(state.members.size());
  for (const auto& [key, value] : state.members) members.push_back(key + "=" + value);
  auto combined_length = [&members] {
    std::size_t length = 0;
    for (const std::string& m : members) length += m.size();
    return members.empty() ? 0 : length + members.size() - 1;
  };
  for (std::size_t i = members.size(); i-- > 0 && combined_length() > max_chars;) {
    if (members[i].size() > kTraceStateLargeMemberChars) {
      members.erase(members.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  while (combined_length() > max_chars) members.pop_back();
  return fmt::format("{}", fmt::join(members, ","));
}

std::string EnvCarrierName(std::string_view key) {
  std::string name;
  name.reserve(key.size());
  for (char c : key) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_';
    name.push_back(!allowed ? '_' : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return name;
}

std::optional<std::string> LookupProcessEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

InboundContext ReadInboundContext(const EnvLookup& lookup) {
  InboundContext inbound;
  if (std::optional<EnvValue> traceparent = FirstSet(lookup, "traceparent")) {
    std::string reason;
    inbound.parent = ParseTraceParent(traceparent->value, &reason);
    if (!inbound.parent) {
      inbound.warnings.push_back(InvalidInboundWarning(traceparent->name, traceparent->value,
                                                       reason + "; starting a new trace"));
    }
  }
  if (std::optional<EnvValue> tracestate = FirstSet(lookup, "tracestate");
      tracestate && inbound.parent) {
    std::string reason;
    std::optional<TraceState> state = ParseTraceState(tracestate->value, &reason);
    if (state) {
      inbound.trace_state = std::move(*state);
    } else {
      inbound.warnings.push_back(InvalidInboundWarning(
          tracestate->name, tracestate->value, reason + "; the trace state is not forwarded"));
    }
  }
  if (std::optional<EnvValue> baggage = FirstSet(lookup, "baggage")) {
    inbound.baggage = std::move(baggage->value);
  }
  return inbound;
}

std::string InvalidInboundWarning(std::string_view variable, std::string_view value,
                                  std::string_view reason) {
  return fmt::format("ignoring {} {}: {}", variable, Quote(value), reason);
}

}  // namespace weft::trace
