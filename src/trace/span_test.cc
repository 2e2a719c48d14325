#include "trace/span.h"

#include <gtest/gtest.h>

namespace weft::trace {
namespace {

TEST(SpanIdsTest, AllZeroIdsAreInvalid) {
  EXPECT_FALSE(TraceId{}.IsValid());
  EXPECT_FALSE(SpanId{}.IsValid());
}

TEST(SpanIdsTest, AnyNonZeroByteMakesAnIdValid) {
  TraceId trace;
  trace.bytes[15] = 1;
  EXPECT_TRUE(trace.IsValid());
  SpanId span;
  span.bytes[0] = 0x80;
  EXPECT_TRUE(span.IsValid());
}

TEST(SpanIdsTest, HexIsLowerCaseAndFullLength) {
  TraceId trace;
  for (std::size_t i = 0; i < trace.bytes.size(); ++i) {
    trace.bytes[i] = static_cast<std::uint8_t>(i * 17);
  }
  EXPECT_EQ(trace.Hex(), "00112233445566778899aabbccddeeff");
  SpanId span;
  span.bytes = {0xab, 0x01, 0, 0, 0, 0, 0xfe, 0x0f};
  EXPECT_EQ(span.Hex(), "ab0100000000fe0f");
  EXPECT_EQ(SpanId{}.Hex(), "0000000000000000");
}

}  // namespace
}  // namespace weft::trace
