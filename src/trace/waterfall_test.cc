#include "trace/waterfall.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace weft::trace {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kT0 = 1'700'000'000 * kSecond;

SpanData Span(std::uint8_t id, std::uint8_t parent, std::string name, double start_s, double end_s,
              std::string status = "succeeded") {
  SpanData span;
  span.trace_id.bytes[15] = 0xaa;
  span.span_id.bytes[7] = id;
  span.parent_span_id.bytes[7] = parent;
  span.name = std::move(name);
  span.start_ns = kT0 + static_cast<std::int64_t>(start_s * kSecond);
  span.end_ns = kT0 + static_cast<std::int64_t>(end_s * kSecond);
  span.attributes = {{span.name.rfind("DAG", 0) == 0 ? "dag.status" : "step.status", status}};
  if (status == "failed") span.status = StatusCode::kError;
  return span;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A parent run whose step `call` ran a child DAG (recorded in another file, same trace).
std::vector<SpanData> NestedRun() {
  return {
      Span(1, 0, "DAG: parent", 0, 10),          Span(2, 1, "Step: fetch", 0, 4),
      Span(3, 1, "Step: call", 4, 10, "failed"), Span(4, 1, "Step: skipped", 4, 4, "skipped"),
      Span(5, 3, "DAG: child", 5, 9, "failed"),  Span(6, 5, "Step: inner", 5, 9, "failed"),
  };
}

TEST(WaterfallTest, DrawsTheTreeOnATimeAxis) {
  std::string out = RenderWaterfall(NestedRun(), {.width = 60, .color = false});
  // 60 columns: label 20, status 9, duration 6, three gaps, bar 22 (2.2 columns a second).
  std::vector<std::string> expected = {
      "Trace 000000000000000000000000000000aa  6 spans  10.00s",
      "                                      0s              10.00s",
      "DAG: parent          succeeded 10.00s ██████████████████████",
      "├─ Step: fetch       succeeded  4.00s █████████             ",
      "├─ Step: call        failed     6.00s         ██████████████",
      "│  └─ DAG: child     failed     4.00s            █████████  ",
      "│     └─ Step: inner failed     4.00s            █████████  ",
      "└─ Step: skipped     skipped       0s         ▏             ",
  };
  EXPECT_EQ(Lines(out), expected) << out;
}

TEST(WaterfallTest, ChildrenAreOrderedByStartTime) {
  std::vector<SpanData> spans = {Span(1, 0, "DAG: d", 0, 3), Span(3, 1, "Step: late", 2, 3),
                                 Span(2, 1, "Step: early", 0, 1)};
  std::vector<std::string> lines = Lines(RenderWaterfall(spans, {}));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_THAT(lines[3], HasSubstr("├─ Step: early"));
  EXPECT_THAT(lines[4], HasSubstr("└─ Step: late"));
}

TEST(WaterfallTest, SpanWithAnAbsentParentStartsATree) {
  // The root of a run started by an instrumented CI job: its parent is not in the record.
  std::vector<SpanData> spans = {Span(1, 0x77, "DAG: d", 0, 2), Span(2, 1, "Step: s", 0, 1)};
  std::vector<std::string> lines = Lines(RenderWaterfall(spans, {}));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2].rfind("DAG: d", 0), 0u);
  EXPECT_EQ(lines[3].rfind("└─ Step: s", 0), 0u);
}

TEST(WaterfallTest, ParentCycleIsDrawnOnce) {
  std::vector<SpanData> spans = {Span(1, 2, "Step: a", 0, 1), Span(2, 1, "Step: b", 1, 2)};
  std::vector<std::string> lines = Lines(RenderWaterfall(spans, {}));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2].rfind("Step: a", 0), 0u);
  EXPECT_EQ(lines[3].rfind("└─ Step: b", 0), 0u);
}

TEST(WaterfallTest, DuplicateSpansAreDrawnOnce) {
  std::vector<SpanData> spans = {Span(1, 0, "DAG: d", 0, 2), Span(1, 0, "DAG: d", 0, 2)};
  std::string out = RenderWaterfall(spans, {});
  EXPECT_EQ(Lines(out).size(), 3u);
  EXPECT_THAT(out, HasSubstr("1 span "));
}

TEST(WaterfallTest, EachTraceGetsItsOwnHeader) {
  SpanData other = Span(9, 0, "DAG: other", -5, -4);
  other.trace_id.bytes[15] = 0xbb;
  std::vector<SpanData> spans = {Span(1, 0, "DAG: d", 0, 2), other};
  std::vector<std::string> lines = Lines(RenderWaterfall(spans, {}));
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0], "Trace 000000000000000000000000000000bb  1 span  1.00s");
  EXPECT_EQ(lines[3], "");
  EXPECT_EQ(lines[4], "Trace 000000000000000000000000000000aa  1 span  2.00s");
}

TEST(WaterfallTest, LongNamesAreCutToLeaveRoomForTheBar) {
  std::vector<SpanData> spans = {Span(1, 0, "DAG: " + std::string(200, 'n'), 0, 1)};
  std::vector<std::string> lines = Lines(RenderWaterfall(spans, {.width = 60}));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[2], HasSubstr("nnn… succeeded"));
  EXPECT_THAT(lines[2], HasSubstr("██████████"));
}

TEST(WaterfallTest, StatusFallsBackToTheSpanStatus) {
  SpanData foreign = Span(1, 0, "GET /api", 0, 1);
  foreign.attributes.clear();
  foreign.status = StatusCode::kError;
  EXPECT_THAT(RenderWaterfall({foreign}, {}), HasSubstr("GET /api error"));
  foreign.status = StatusCode::kOk;
  EXPECT_THAT(RenderWaterfall({foreign}, {}), HasSubstr("GET /api ok"));
}

TEST(WaterfallTest, ColoursOnlyWhenAsked) {
  std::string plain = RenderWaterfall(NestedRun(), {.color = false});
  EXPECT_THAT(plain, Not(HasSubstr("\x1b[")));
  std::string colored = RenderWaterfall(NestedRun(), {.color = true});
  EXPECT_THAT(colored, HasSubstr("\x1b[32msucceeded\x1b[0m"));
  EXPECT_THAT(colored, HasSubstr("\x1b[31mfailed   \x1b[0m"));
  EXPECT_THAT(colored, HasSubstr("\x1b[90mskipped  \x1b[0m"));
  EXPECT_THAT(colored, HasSubstr("\x1b[1mTrace "));
}

TEST(WaterfallTest, AbortedAndRunningColours) {
  std::vector<SpanData> spans = {Span(1, 0, "DAG: d", 0, 2, "running"),
                                 Span(2, 1, "Step: s", 0, 1, "aborted")};
  std::string colored = RenderWaterfall(spans, {.color = true});
  EXPECT_THAT(colored, HasSubstr("\x1b[36mrunning\x1b[0m"));
  EXPECT_THAT(colored, HasSubstr("\x1b[33maborted\x1b[0m"));
}

TEST(WaterfallTest, ZeroLengthTraceStillDraws) {
  std::vector<SpanData> spans = {Span(1, 0, "DAG: d", 0, 0)};
  std::vector<std::string> lines = Lines(RenderWaterfall(spans, {.width = 40}));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[2], HasSubstr("0s ▏"));
}

TEST(WaterfallTest, NoSpans) { EXPECT_EQ(RenderWaterfall({}, {}), "no spans recorded\n"); }

TEST(FormatDurationTest, PicksAUnitAndTruncates) {
  EXPECT_EQ(FormatDuration(-5), "0s");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(850), "850ns");
  EXPECT_EQ(FormatDuration(12'999), "12µs");
  EXPECT_EQ(FormatDuration(340'500'000), "340ms");
  EXPECT_EQ(FormatDuration(1'259'000'000), "1.25s");
  EXPECT_EQ(FormatDuration(59'999'999'999), "59.99s");
  EXPECT_EQ(FormatDuration(123 * kSecond), "2m03s");
  EXPECT_EQ(FormatDuration(3900 * kSecond), "1h05m");
}

}  // namespace
}  // namespace weft::trace
