#include "trace/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace weft::trace {
namespace {

// Hands out scripted bytes, then a counting pattern, and remembers how often it was asked.
class ScriptedBytes {
 public:
  explicit ScriptedBytes(std::vector<std::uint8_t> script) : script_(std::move(script)) {}
  void Fill(std::span<std::uint8_t> out) {
    ++calls_;
    for (std::uint8_t& byte : out) {
      byte = next_ < script_.size() ? script_[next_] : static_cast<std::uint8_t>(next_ | 1);
      ++next_;
    }
  }
  int calls() const { return calls_; }

 private:
  std::vector<std::uint8_t> script_;
  std::size_t next_ = 0;
  int calls_ = 0;
};

TEST(IdGeneratorTest, DiscardsAllZeroTraceIds) {
  // Two whole trace ids' worth of zeros: both draws are discarded.
  ScriptedBytes bytes(std::vector<std::uint8_t>(32, 0));
  IdGenerator ids([&bytes](std::span<std::uint8_t> out) { bytes.Fill(out); });
  TraceId trace = ids.NewTraceId();
  EXPECT_TRUE(trace.IsValid());
  EXPECT_EQ(trace.bytes[0], 32 | 1);  // the first byte after the discarded draws
}

TEST(IdGeneratorTest, DiscardsAllZeroSpanIds) {
  ScriptedBytes bytes(std::vector<std::uint8_t>(8, 0));
  IdGenerator ids([&bytes](std::span<std::uint8_t> out) { bytes.Fill(out); });
  SpanId span = ids.NewSpanId();
  EXPECT_TRUE(span.IsValid());
  EXPECT_EQ(span.bytes[0], 8 | 1);
}

TEST(IdGeneratorTest, KeepsAnIdWithSomeZeroBytes) {
  ScriptedBytes bytes({0, 0, 0, 0, 0, 0, 0, 7});
  IdGenerator ids([&bytes](std::span<std::uint8_t> out) { bytes.Fill(out); });
  EXPECT_EQ(ids.NewSpanId().Hex(), "0000000000000007");
}

TEST(IdGeneratorTest, RefillsThePoolOnlyWhenItIsUsedUp) {
  ScriptedBytes bytes({});
  IdGenerator ids([&bytes](std::span<std::uint8_t> out) { bytes.Fill(out); });
  for (int i = 0; i < 16; ++i) ids.NewTraceId();  // 256 bytes: exactly one pool
  EXPECT_EQ(bytes.calls(), 1);
  ids.NewSpanId();
  EXPECT_EQ(bytes.calls(), 2);
}

TEST(IdGeneratorTest, AnIdSpanningTwoPoolsTakesBytesFromBoth) {
  ScriptedBytes bytes({});
  IdGenerator ids([&bytes](std::span<std::uint8_t> out) { bytes.Fill(out); });
  for (int i = 0; i < 31; ++i) ids.NewSpanId();  // 248 of 256 bytes used
  TraceId trace = ids.NewTraceId();              // 8 from this pool, 8 from the next
  EXPECT_EQ(bytes.calls(), 2);
  EXPECT_EQ(trace.bytes[7], static_cast<std::uint8_t>(255 | 1));
  EXPECT_EQ(trace.bytes[8], static_cast<std::uint8_t>(256 | 1));
}

TEST(IdGeneratorTest, KernelSourceGivesDistinctValidIds) {
  IdGenerator ids;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    TraceId trace = ids.NewTraceId();
    ASSERT_TRUE(trace.IsValid());
    seen.insert(trace.Hex());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ParseIdTest, ReadsLowerCaseHex) {
  std::optional<TraceId> trace = ParseTraceId("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(trace);
  EXPECT_EQ(trace->Hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  std::optional<SpanId> span = ParseSpanId("00f067aa0ba902b7");
  ASSERT_TRUE(span);
  EXPECT_EQ(span->Hex(), "00f067aa0ba902b7");
}

TEST(ParseIdTest, UpperCaseOnlyWhenAllowed) {
  EXPECT_FALSE(ParseSpanId("00F067AA0BA902B7"));
  std::optional<SpanId> span = ParseSpanId("00F067AA0BA902B7", HexCase::kAny);
  ASSERT_TRUE(span);
  EXPECT_EQ(span->Hex(), "00f067aa0ba902b7");
}

TEST(ParseIdTest, RejectsWrongLengthAndNonHex) {
  EXPECT_FALSE(ParseTraceId("4bf92f3577b34da6a3ce929d0e0e473"));
  EXPECT_FALSE(ParseTraceId("4bf92f3577b34da6a3ce929d0e0e47366"));
  EXPECT_FALSE(ParseSpanId("00f067aa0ba902bg", HexCase::kAny));
  EXPECT_FALSE(ParseSpanId(""));
}

TEST(ParseIdTest, AllZeroParsesButIsInvalid) {
  std::optional<SpanId> span = ParseSpanId("0000000000000000");
  ASSERT_TRUE(span);
  EXPECT_FALSE(span->IsValid());
}

}  // namespace
}  // namespace weft::trace
