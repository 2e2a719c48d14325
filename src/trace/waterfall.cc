#include "trace/waterfall.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <variant>

namespace weft::trace {
namespace {

constexpr int kMinBarWidth = 10;
constexpr int kMinLabelWidth = 20;

// Columns taken by UTF-8 text, counting one per code point (names are mostly ASCII; the tree
// and bar glyphs are single-column code points).
std::size_t Columns(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
}

// Cuts text to `columns` code points, marking a cut with "…".
std::string Fit(std::string_view text, std::size_t columns) {
  if (Columns(text) <= columns) return std::string(text);
  std::string out;
  std::size_t used = 0;
  for (char c : text) {
    bool starts_code_point = (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    if (starts_code_point && ++used > columns - 1) break;
    out.push_back(c);
  }
  return out + "…";
}

std::string PadRight(std::string_view text, std::size_t columns) {
  std::string out(text);
  out.append(columns - std::min(columns, Columns(text)), ' ');
  return out;
}

std::string PadLeft(std::string_view text, std::size_t columns) {
  return std::string(columns - std::min(columns, Columns(text)), ' ') + std::string(text);
}

std::string StatusWord(const SpanData& span) {
  for (const auto& [key, value] : span.attributes) {
    if ((key == "step.status" || key == "dag.status") &&
        std::holds_alternative<std::string>(value)) {
      return std::get<std::string>(value);
    }
  }
  switch (span.status) {
    case StatusCode::kError:
      return "error";
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kUnset:
      break;
  }
  return "";
}

std::string_view ColorCode(const SpanData& span, std::string_view status) {
  if (span.status == StatusCode::kError || status == "failed" || status == "error" ||
      status == "partially_succeeded") {
    return "31";
  }
  if (status == "succeeded" || status == "ok") return "32";
  if (status == "aborted") return "33";
  if (status == "skipped" || status == "not_started") return "90";
  if (status == "running" || status == "queued") return "36";
  return "";
}

std::string Paint(std::string text, std::string_view code, bool color) {
  if (!color || code.empty()) return text;
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

struct Row {
  const SpanData* span;
  std::string label;  // tree prefix + name
  std::string status;
  std::string duration;
};

// The rows of one trace in tree order.
std::vector<Row> TreeRows(const std::vector<const SpanData*>& spans) {
  std::unordered_map<std::string, const SpanData*> by_id;
  for (const SpanData* span : spans) by_id.emplace(span->span_id.Hex(), span);
  auto earlier = [](const SpanData* a, const SpanData* b) {
    return std::tie(a->start_ns, a->name) < std::tie(b->start_ns, b->name);
  };
  std::map<std::string, std::vector<const SpanData*>> children;
  std::vector<const SpanData*> roots;
  for (const SpanData* span : spans) {
    if (span->parent_span_id.IsValid() && by_id.count(span->parent_span_id.Hex()) != 0) {
      children[span->parent_span_id.Hex()].push_back(span);
    } else {
      roots.push_back(span);
    }
  }
  for (auto& [parent, list] : children) std::stable_sort(list.begin(), list.end(), earlier);
  std::stable_sort(roots.begin(), roots.end(), earlier);

  std::vector<Row> rows;
  std::set<const SpanData*> drawn;
  struct Pending {
    const SpanData* span;
    std::string prefix;        // for this span's own line
    std::string child_prefix;  // for its children's lines
  };
  auto draw_tree = [&](const SpanData* root) {
    std::vector<Pending> stack{{root, "", ""}};
    while (!stack.empty()) {
      Pending item = std::move(stack.back());
      stack.pop_back();
      if (!drawn.insert(item.span).second) continue;
      rows.push_back({item.span, item.prefix + item.span->name, StatusWord(*item.span),
                      FormatDuration(item.span->end_ns - item.span->start_ns)});
      auto it = children.find(item.span->span_id.Hex());
      if (it == children.end()) continue;
      const std::vector<const SpanData*>& kids = it->second;
      for (std::size_t i = kids.size(); i-- > 0;) {
        bool last = i + 1 == kids.size();
        stack.push_back({kids[i], item.child_prefix + (last ? "└─ " : "├─ "),
                         item.child_prefix + (last ? "   " : "│  ")});
      }
    }
  };
  for (const SpanData* root : roots) draw_tree(root);
  // Spans caught in a parent cycle have no root; draw each remaining one as its own tree.
  std::vector<const SpanData*> rest;
  for (const SpanData* span : spans) {
    if (drawn.count(span) == 0) rest.push_back(span);
  }
  std::stable_sort(rest.begin(), rest.end(), earlier);
  for (const SpanData* span : rest) draw_tree(span);
  return rows;
}

std::string Bar(const SpanData& span, std::int64_t t0, std::int64_t total, int width) {
  auto column = [&](std::int64_t t, bool round_up) {
    if (total <= 0) return 0;
    long double scaled = static_cast<long double>(t - t0) * width / static_cast<long double>(total);
    auto col = static_cast<int>(round_up ? std::ceil(scaled) : std::floor(scaled));
    return std::clamp(col, 0, width);
  };
  int start = std::min(column(span.start_ns, false), width - 1);
  int end = column(span.end_ns, true);
  std::string bar(static_cast<std::size_t>(start), ' ');
  if (span.end_ns <= span.start_ns) {
    bar += "▏";
    end = start + 1;
  } else {
    end = std::max(end, start + 1);
    for (int i = start; i < end; ++i) bar += "█";
  }
  bar.append(static_cast<std::size_t>(width - end), ' ');
  return bar;
}

std::string RenderTrace(const std::vector<const SpanData*>& spans,
                        const WaterfallOptions& options) {
  std::vector<Row> rows = TreeRows(spans);
  std::int64_t t0 = spans.front()->start_ns;
  std::int64_t t1 = spans.front()->end_ns;
  for (const SpanData* span : spans) {
    t0 = std::min(t0, span->start_ns);
    t1 = std::max(t1, std::max(span->end_ns, span->start_ns));
  }
  std::int64_t total = t1 - t0;

  std::size_t label_width = 0, status_width = 0, duration_width = 0;
  for (const Row& row : rows) {
    label_width = std::max(label_width, Columns(row.label));
    status_width = std::max(status_width, Columns(row.status));
    duration_width = std::max(duration_width, Columns(row.duration));
  }
  int fixed = static_cast<int>(status_width + duration_width) + 3;  // three single-space gaps
  int label_cap = std::max(kMinLabelWidth, options.width - fixed - kMinBarWidth);
  label_width = std::min(label_width, static_cast<std::size_t>(label_cap));
  int bar_width = std::max(kMinBarWidth, options.width - fixed - static_cast<int>(label_width));

  std::string out =
      Paint(fmt::format("Trace {}  {} span{}  {}", spans.front()->trace_id.Hex(), spans.size(),
                        spans.size() == 1 ? "" : "s", FormatDuration(total)),
            "1", options.color);
  out += '\n';
  std::string axis_end = FormatDuration(total);
  std::size_t axis_gap =
      static_cast<std::size_t>(bar_width) -
      std::min<std::size_t>(static_cast<std::size_t>(bar_width), 2 + Columns(axis_end));
  out += std::string(label_width + status_width + duration_width + 3, ' ') + "0s" +
         std::string(axis_gap, ' ') + axis_end + '\n';
  for (const Row& row : rows) {
    std::string_view code = ColorCode(*row.span, row.status);
    out += PadRight(Fit(row.label, label_width), label_width) + ' ';
    out += Paint(PadRight(row.status, status_width), code, options.color) + ' ';
    out += PadLeft(row.duration, duration_width) + ' ';
    out += Paint(Bar(*row.span, t0, total, bar_width), code, options.color);
    out += '\n';
  }
  return out;
}

}  // namespace

std::string FormatDuration(std::int64_t ns) {
  constexpr std::int64_t kMicro = 1000, kMilli = 1000 * kMicro, kSecond = 1000 * kMilli;
  constexpr std::int64_t kMinute = 60 * kSecond, kHour = 60 * kMinute;
  if (ns <= 0) return "0s";
  if (ns < kMicro) return fmt::format("{}ns", ns);
  if (ns < kMilli) return fmt::format("{}µs", ns / kMicro);
  if (ns < kSecond) return fmt::format("{}ms", ns / kMilli);
  if (ns < kMinute) {
    std::int64_t centis = ns / (10 * kMilli);
    return fmt::format("{}.{:02}s", centis / 100, centis % 100);
  }
  if (ns < kHour) return fmt::format("{}m{:02}s", ns / kMinute, ns % kMinute / kSecond);
  return fmt::format("{}h{:02}m", ns / kHour, ns % kHour / kMinute);
}

std::string RenderWaterfall(const std::vector<SpanData>& spans, const WaterfallOptions& options) {
  if (spans.empty()) return "no spans recorded\n";
  std::set<std::pair<std::string, std::string>> seen;  // (trace id, span id)
  std::map<std::string, std::vector<const SpanData*>> by_trace;
  for (const SpanData& span : spans) {
    if (seen.emplace(span.trace_id.Hex(), span.span_id.Hex()).second) {
      by_trace[span.trace_id.Hex()].push_back(&span);
    }
  }
  std::vector<const std::vector<const SpanData*>*> traces;
  auto start_of = [](const std::vector<const SpanData*>& list) {
    std::int64_t start = list.front()->start_ns;
    for (const SpanData* span : list) start = std::min(start, span->start_ns);
    return start;
  };
  for (const auto& [id, list] : by_trace) traces.push_back(&list);
  std::stable_sort(traces.begin(), traces.end(),
                   [&](const auto* a, const auto* b) { return start_of(*a) < start_of(*b); });
  std::string out;
  for (const auto* trace : traces) {
    if (!out.empty()) out += '\n';
    out += RenderTrace(*trace, options);
  }
  return out;
}

}  // namespace weft::trace
