#pragma once

// The terminal view of a trace (`weft trace`): the span tree with each span's status, duration
// and a bar on a shared time axis.

#include <cstdint>
#include <string>
#include <vector>

#include "trace/span.h"

namespace weft::trace {

struct WaterfallOptions {
  int width = 100;     // columns of a full line; the bar gets what the text columns leave
  bool color = false;  // ANSI colours for statuses (only for a terminal)
};

// Renders spans, typically the trace records of a run and of its nested child runs, as one
// waterfall per trace id (earliest trace first), each with a header naming the trace id. Spans
// are stitched into a tree by parent span id; a span whose parent is absent (the root, or a
// child of a remote caller) starts a tree. Children are ordered by start time. Duplicate span
// ids keep their first occurrence; parent cycles cannot loop (each span is drawn once). The
// status column shows step.status / dag.status, else the span status. Without colour the
// output is plain text.
std::string RenderWaterfall(const std::vector<SpanData>& spans, const WaterfallOptions& options);

// "0s", "850ns", "12µs", "340ms", "1.25s", "2m03s", "1h05m" (truncated, never rounded up).
std::string FormatDuration(std::int64_t ns);

}  // namespace weft::trace
