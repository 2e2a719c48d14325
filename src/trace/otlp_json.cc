#include "trace/otlp_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <type_traits>

#include "trace/ids.h"

namespace weft::trace {
namespace {

using nlohmann::json;

// The encoder appends the request text as it walks the batch, fields in proto order (a record
// line reads traceId first), with no document tree in between: the local trace record encodes
// every span of every run on the engine thread, and a tree cost ~130 k instructions per span.
void AppendString(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += text;
    out += '"';
    return;
  }
  // Escapes, and invalid UTF-8 replaced rather than thrown on: names and attributes come from
  // user files. Rare enough to leave to the library.
  out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// A decimal integer; fmt's appending to a std::string cost as much as the rest of a span.
template <typename Integer>
void AppendInt(std::string& out, Integer value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// `prefix` (a separator, the quoted field name and its colon, all plain) and "text". Field names
// are constants: only the value needs the check for escapes.
void AppendField(std::string& out, std::string_view prefix, std::string_view text) {
  out += prefix;
  AppendString(out, text);
}

void AppendAnyValue(std::string& out, const AttributeValue& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          AppendField(out, R"({"stringValue":)", v);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? R"({"boolValue":true)" : R"({"boolValue":false)";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out += R"({"intValue":")";
          AppendInt(out, v);
          out += '"';
        } else if (std::isnan(v)) {
          out += R"({"doubleValue":"NaN")";
        } else if (std::isinf(v)) {
          out += v > 0 ? R"({"doubleValue":"Infinity")" : R"({"doubleValue":"-Infinity")";
        } else {
          out += R"({"doubleValue":)" + json(v).dump();
        }
      },
      value);
  out += '}';
}

void AppendAttributes(std::string& out, const Attributes& attributes) {
  out += '[';
  bool first = true;
  for (const auto& [key, value] : attributes) {
    AppendField(out, first ? R"({"key":)" : R"(,{"key":)", key);
    out += R"(,"value":)";
    AppendAnyValue(out, value);
    out += '}';
    first = false;
  }
  out += ']';
}

void AppendSpan(std::string& out, const SpanData& span) {
  AppendField(out, R"({"traceId":)", span.trace_id.Hex());
  AppendField(out, R"(,"spanId":)", span.span_id.Hex());
  if (!span.trace_state.empty()) AppendField(out, R"(,"traceState":)", span.trace_state);
  if (span.parent_span_id.IsValid()) {
    AppendField(out, R"(,"parentSpanId":)", span.parent_span_id.Hex());
  }
  out += R"(,"flags":)";
  AppendInt(out, span.flags);
  AppendField(out, R"(,"name":)", span.name);
  out += R"(,"kind":)";
  AppendInt(out, static_cast<int>(span.kind));
  out += R"(,"startTimeUnixNano":")";
  AppendInt(out, span.start_ns);
  out += R"(","endTimeUnixNano":")";
  AppendInt(out, span.end_ns);
  out += R"(","attributes":)";
  AppendAttributes(out, span.attributes);
  if (!span.events.empty()) {
    out += R"(,"events":[)";
    bool first = true;
    for (const SpanEvent& event : span.events) {
      out += first ? R"({"timeUnixNano":")" : R"(,{"timeUnixNano":")";
      AppendInt(out, event.time_ns);
      out += '"';
      AppendField(out, R"(,"name":)", event.name);
      out += R"(,"attributes":)";
      AppendAttributes(out, event.attributes);
      out += '}';
      first = false;
    }
    out += ']';
  }
  out += R"(,"status":{"code":)";
  AppendInt(out, static_cast<int>(span.status));
  if (!span.status_message.empty()) AppendField(out, R"(,"message":)", span.status_message);
  out += "}}";
}

// A decoding fault: the JSON path of the field and what is wrong with it.
class DecodeError : public std::runtime_error {
 public:
  DecodeError(const std::string& path, std::string_view problem)
      : std::runtime_error(fmt::format("{}: {}", path, problem)) {}
};

const json* Field(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

const json& RequireObject(const json& value, const std::string& path) {
  if (!value.is_object()) throw DecodeError(path, "expected an object");
  return value;
}

// A repeated field: absent means empty.
const json& ArrayField(const json& object, const char* name, const std::string& path) {
  static const json kEmpty = json::array();
  const json* value = Field(object, name);
  if (value == nullptr) return kEmpty;
  if (!value->is_array()) throw DecodeError(path + "." + name, "expected an array");
  return *value;
}

std::string StringField(const json& object, const char* name, const std::string& path) {
  const json* value = Field(object, name);
  if (value == nullptr) return "";
  if (!value->is_string()) throw DecodeError(path + "." + name, "expected a string");
  return value->get<std::string>();
}

// A 64-bit integer: a decimal string (the canonical form) or a JSON integer.
std::int64_t Int64(const json& value, const std::string& path) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw DecodeError(path, "integer out of range");
    }
    return value.get<std::int64_t>();
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return number;
    throw DecodeError(path, fmt::format("{:?} is not a 64-bit decimal integer", text));
  }
  throw DecodeError(path, "expected an integer or a decimal string");
}

std::int64_t Int64Field(const json& object, const char* name, const std::string& path) {
  const json* value = Field(object, name);
  return value == nullptr ? 0 : Int64(*value, path + "." + name);
}

// A 32-bit enum or fixed32: a JSON integer in range.
std::int64_t SmallIntField(const json& object, const char* name, const std::string& path,
                           std::int64_t max) {
  const json* value = Field(object, name);
  if (value == nullptr) return 0;
  if (!value->is_number_integer()) throw DecodeError(path + "." + name, "expected an integer");
  std::int64_t number = value->get<std::int64_t>();
  if (number < 0 || number > max) {
    throw DecodeError(path + "." + name, fmt::format("{} is out of range 0..{}", number, max));
  }
  return number;
}

double DoubleValue(const json& value, const std::string& path) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  throw DecodeError(path, "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
}

AttributeValue AnyValue(const json& value, const std::string& path) {
  RequireObject(value, path);
  if (const json* v = Field(value, "stringValue")) {
    if (!v->is_string()) throw DecodeError(path + ".stringValue", "expected a string");
    return v->get<std::string>();
  }
  if (const json* v = Field(value, "boolValue")) {
    if (!v->is_boolean()) throw DecodeError(path + ".boolValue", "expected true or false");
    return v->get<bool>();
  }
  if (const json* v = Field(value, "intValue")) return Int64(*v, path + ".intValue");
  if (const json* v = Field(value, "doubleValue")) return DoubleValue(*v, path + ".doubleValue");
  for (const char* name : {"arrayValue", "kvlistValue", "bytesValue"}) {
    if (const json* v = Field(value, name)) return v->dump();
  }
  return std::string();
}

Attributes AttributesField(const json& object, const std::string& path) {
  Attributes attributes;
  const json& list = ArrayField(object, "attributes", path);
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string item_path = fmt::format("{}.attributes[{}]", path, i);
    const json& item = RequireObject(list[i], item_path);
    std::string key = StringField(item, "key", item_path);
    if (key.empty()) throw DecodeError(item_path + ".key", "missing attribute key");
    const json* value = Field(item, "value");
    attributes.emplace_back(std::move(key), value == nullptr
                                                ? AttributeValue(std::string())
                                                : AnyValue(*value, item_path + ".value"));
  }
  return attributes;
}

SpanData SpanFromJson(const json& object, const std::string& path) {
  RequireObject(object, path);
  SpanData span;
  std::optional<TraceId> trace_id =
      ParseTraceId(StringField(object, "traceId", path), HexCase::kAny);
  if (!trace_id || !trace_id->IsValid()) {
    throw DecodeError(path + ".traceId", "expected 32 hex digits, not all zero");
  }
  span.trace_id = *trace_id;
  std::optional<SpanId> span_id = ParseSpanId(StringField(object, "spanId", path), HexCase::kAny);
  if (!span_id || !span_id->IsValid()) {
    throw DecodeError(path + ".spanId", "expected 16 hex digits, not all zero");
  }
  span.span_id = *span_id;
  if (std::string parent = StringField(object, "parentSpanId", path); !parent.empty()) {
    std::optional<SpanId> parent_id = ParseSpanId(parent, HexCase::kAny);
    if (!parent_id) throw DecodeError(path + ".parentSpanId", "expected 16 hex digits");
    span.parent_span_id = *parent_id;
  }
  span.trace_state = StringField(object, "traceState", path);
  span.flags = static_cast<std::uint32_t>(
      SmallIntField(object, "flags", path, std::numeric_limits<std::uint32_t>::max()));
  span.name = StringField(object, "name", path);
  std::int64_t kind = SmallIntField(object, "kind", path, 5);
  // 0 is SPAN_KIND_UNSPECIFIED, which receivers treat as INTERNAL.
  span.kind = kind == 0 ? SpanKind::kInternal : static_cast<SpanKind>(kind);
  span.start_ns = Int64Field(object, "startTimeUnixNano", path);
  span.end_ns = Int64Field(object, "endTimeUnixNano", path);
  span.attributes = AttributesField(object, path);
  const json& events = ArrayField(object, "events", path);
  for (std::size_t i = 0; i < events.size(); ++i) {
    std::string event_path = fmt::format("{}.events[{}]", path, i);
    const json& event = RequireObject(events[i], event_path);
    span.events.push_back({StringField(event, "name", event_path),
                           Int64Field(event, "timeUnixNano", event_path),
                           AttributesField(event, event_path)});
  }
  if (const json* status = Field(object, "status")) {
    std::string status_path = path + ".status";
    RequireObject(*status, status_path);
    span.status = static_cast<StatusCode>(SmallIntField(*status, "code", status_path, 2));
    span.status_message = StringField(*status, "message", status_path);
  }
  return span;
}

std::vector<ExportBatch> RequestFromJson(const json& request) {
  RequireObject(request, "request");
  std::vector<ExportBatch> batches;
  const json& resource_spans = ArrayField(request, "resourceSpans", "request");
  for (std::size_t r = 0; r < resource_spans.size(); ++r) {
    std::string resource_path = fmt::format("resourceSpans[{}]", r);
    const json& resource_span = RequireObject(resource_spans[r], resource_path);
    Attributes resource;
    if (const json* res = Field(resource_span, "resource")) {
      resource = AttributesField(RequireObject(*res, resource_path + ".resource"),
                                 resource_path + ".resource");
    }
    const json& scope_spans = ArrayField(resource_span, "scopeSpans", resource_path);
    for (std::size_t s = 0; s < scope_spans.size(); ++s) {
      std::string scope_path = fmt::format("{}.scopeSpans[{}]", resource_path, s);
      const json& scope_span = RequireObject(scope_spans[s], scope_path);
      ExportBatch batch;
      batch.resource = resource;
      batch.scope_name.clear();
      if (const json* scope = Field(scope_span, "scope")) {
        RequireObject(*scope, scope_path + ".scope");
        batch.scope_name = StringField(*scope, "name", scope_path + ".scope");
        batch.scope_version = StringField(*scope, "version", scope_path + ".scope");
      }
      const json& spans = ArrayField(scope_span, "spans", scope_path);
      for (std::size_t i = 0; i < spans.size(); ++i) {
        batch.spans.push_back(SpanFromJson(spans[i], fmt::format("{}.spans[{}]", scope_path, i)));
      }
      batches.push_back(std::move(batch));
    }
  }
  return batches;
}

}  // namespace

std::string EncodeExportRequest(const ExportBatch& batch) {
  ExportRequestJson request(batch.resource, batch.scope_name, batch.scope_version);
  for (const SpanData& span : batch.spans) request.Add(span);
  return request.Take();
}

ExportRequestJson::ExportRequestJson(const Attributes& resource, std::string_view scope_name,
                                     std::string_view scope_version) {
  head_ = R"({"resourceSpans":[{"resource":{"attributes":)";
  AppendAttributes(head_, resource);
  head_ += R"(},"scopeSpans":[{"scope":)";
  AppendField(head_, R"({"name":)", scope_name);
  if (!scope_version.empty()) AppendField(head_, R"(,"version":)", scope_version);
  head_ += R"(},"spans":[)";
}

void ExportRequestJson::Add(const SpanData& span) {
  if (span_count_ != 0) spans_ += ',';
  AppendSpan(spans_, span);
  ++span_count_;
}

std::string ExportRequestJson::Take() {
  static constexpr std::string_view kTail = "]}]}]}";
  std::string out;
  out.reserve(head_.size() + spans_.size() + kTail.size() + 1);  // + a record's newline
  out += head_;
  out += spans_;
  out += kTail;
  spans_.clear();  // keeps its capacity for the next spans
  span_count_ = 0;
  return out;
}

std::optional<std::vector<ExportBatch>> DecodeExportRequest(std::string_view text,
                                                            std::string* error) {
  try {
    return RequestFromJson(json::parse(text));
  } catch (const json::exception& e) {
    if (error) *error = fmt::format("not valid JSON: {}", e.what());
  } catch (const DecodeError& e) {
    if (error) *error = e.what();
  }
  return std::nullopt;
}

}  // namespace weft::trace
