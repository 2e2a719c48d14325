#include "trace/trace_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace weft::trace {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kParent[] = "00f067aa0ba902b7";

std::string TraceParent(std::string_view version, std::string_view trace, std::string_view parent,
                        std::string_view flags) {
  return std::string(version) + "-" + std::string(trace) + "-" + std::string(parent) + "-" +
         std::string(flags);
}

std::string ParseError(std::string_view value) {
  std::string error;
  EXPECT_FALSE(ParseTraceParent(value, &error)) << value;
  return error;
}

TEST(TraceParentTest, ParsesVersion00) {
  std::optional<SpanContext> context = ParseTraceParent(TraceParent("00", kTrace, kParent, "01"));
  ASSERT_TRUE(context);
  EXPECT_EQ(context->trace_id.Hex(), kTrace);
  EXPECT_EQ(context->span_id.Hex(), kParent);
  EXPECT_EQ(context->flags, 0x01);
  EXPECT_TRUE(context->sampled());
}

TEST(TraceParentTest, SampledIsBitZeroOfTheFlags) {
  EXPECT_FALSE(ParseTraceParent(TraceParent("00", kTrace, kParent, "00"))->sampled());
  std::optional<SpanContext> other_bits =
      ParseTraceParent(TraceParent("00", kTrace, kParent, "02"));
  ASSERT_TRUE(other_bits);
  EXPECT_EQ(other_bits->flags, 0x02);
  EXPECT_FALSE(other_bits->sampled());
  EXPECT_TRUE(ParseTraceParent(TraceParent("00", kTrace, kParent, "ff"))->sampled());
}

TEST(TraceParentTest, RejectsVersionFf) {
  EXPECT_EQ(ParseError(TraceParent("ff", kTrace, kParent, "01")), "version ff is invalid");
}

TEST(TraceParentTest, RejectsAllZeroIds) {
  EXPECT_EQ(ParseError(TraceParent("00", "00000000000000000000000000000000", kParent, "01")),
            "trace id is all zeros");
  EXPECT_EQ(ParseError(TraceParent("00", kTrace, "0000000000000000", "01")),
            "parent id is all zeros");
}

TEST(TraceParentTest, RejectsWrongFieldLengths) {
  EXPECT_THAT(ParseError(TraceParent("00", std::string(kTrace).substr(1), kParent, "01")),
              HasSubstr("trace id has 31 characters, expected 32"));
  EXPECT_THAT(ParseError(TraceParent("00", std::string(kTrace) + "a", kParent, "01")),
              HasSubstr("trace id has 33 characters"));
  EXPECT_THAT(ParseError(TraceParent("00", kTrace, std::string(kParent).substr(1), "01")),
              HasSubstr("parent id has 15 characters, expected 16"));
  EXPECT_THAT(ParseError(TraceParent("00", kTrace, std::string(kParent) + "0", "01")),
              HasSubstr("parent id has 17 characters"));
  EXPECT_THAT(ParseError(TraceParent("0", kTrace, kParent, "01")),
              HasSubstr("version has 1 characters"));
  EXPECT_THAT(ParseError(TraceParent("00", kTrace, kParent, "1")),
              HasSubstr("flags has 1 characters"));
  EXPECT_THAT(ParseError(TraceParent("00", kTrace, kParent, "011")),
              HasSubstr("flags has 3 characters"));
}

TEST(TraceParentTest, RejectsUpperCaseHexInEveryField) {
  EXPECT_THAT(ParseError(TraceParent("0A", kTrace, kParent, "01")),
              HasSubstr("version uses upper-case hex"));
  EXPECT_THAT(ParseError(TraceParent("00", "4BF92F3577B34DA6A3CE929D0E0E4736", kParent, "01")),
              HasSubstr("trace id uses upper-case hex"));
  EXPECT_THAT(ParseError(TraceParent("00", kTrace, "00F067AA0BA902B7", "01")),
              HasSubstr("parent id uses upper-case hex"));
  EXPECT_THAT(ParseError(TraceParent("00", kTrace, kParent, "0A")),
              HasSubstr("flags uses upper-case hex"));
}

TEST(TraceParentTest, RejectsNonHexInEveryField) {
  EXPECT_THAT(ParseError(TraceParent("0g", kTrace, kParent, "01")),
              HasSubstr("version contains a character that is not a hex digit"));
  EXPECT_THAT(ParseError(TraceParent("00", "4bf92f3577b34da6a3ce929d0e0e473z", kParent, "01")),
              HasSubstr("trace id contains a character"));
  EXPECT_THAT(ParseError(TraceParent("00", kTrace, "00f067aa0ba902b ", "01")),
              HasSubstr("parent id contains a character"));
  EXPECT_THAT(ParseError(TraceParent("00", kTrace, kParent, "0x")),
              HasSubstr("flags contains a character"));
}

TEST(TraceParentTest, Version00MustBeExactly55Characters) {
  std::string valid = TraceParent("00", kTrace, kParent, "01");
  ASSERT_EQ(valid.size(), 55u);
  EXPECT_THAT(ParseError(valid + "-"),
              HasSubstr("version 00 must be exactly 55 characters, got 56"));
  EXPECT_THAT(ParseError(valid + "-extra"), HasSubstr("exactly 55 characters"));
}

TEST(TraceParentTest, RejectsMissingFieldsAndWrongSeparators) {
  EXPECT_THAT(ParseError(""), HasSubstr("expected version-traceid-parentid-flags"));
  EXPECT_THAT(ParseError(std::string("00-") + kTrace + "-" + kParent),
              HasSubstr("expected version-traceid-parentid-flags"));
  EXPECT_THAT(ParseError(std::string("00_") + kTrace + "_" + kParent + "_01"),
              HasSubstr("expected version-traceid-parentid-flags"));
  EXPECT_FALSE(ParseTraceParent(" " + TraceParent("00", kTrace, kParent, "01")));
  EXPECT_FALSE(ParseTraceParent(TraceParent("00", kTrace, kParent, "01") + "\n"));
}

TEST(TraceParentTest, HigherVersionsMayCarryMoreFields) {
  std::optional<SpanContext> extra =
      ParseTraceParent(TraceParent("01", kTrace, kParent, "01") + "-what-ever");
  ASSERT_TRUE(extra);
  EXPECT_EQ(extra->trace_id.Hex(), kTrace);
  EXPECT_EQ(extra->span_id.Hex(), kParent);
  EXPECT_TRUE(extra->sampled());
  EXPECT_TRUE(ParseTraceParent(TraceParent("cc", kTrace, kParent, "00")));
  EXPECT_TRUE(ParseTraceParent(TraceParent("fe", kTrace, kParent, "00") + "-"));
  // The flags must still end at a '-' or the end of the value.
  EXPECT_FALSE(ParseTraceParent(TraceParent("01", kTrace, kParent, "01") + "x"));
  // And the known fields keep their rules.
  EXPECT_FALSE(ParseTraceParent(TraceParent("01", kTrace, "0000000000000000", "01") + "-x"));
}

TEST(TraceParentTest, ErrorIsOptional) { EXPECT_FALSE(ParseTraceParent("garbage")); }

TEST(TraceParentTest, FormatsVersion00AndRoundTrips) {
  SpanContext context = *ParseTraceParent(TraceParent("00", kTrace, kParent, "01"));
  EXPECT_EQ(FormatTraceParent(context), TraceParent("00", kTrace, kParent, "01"));
  context.flags = 0;
  EXPECT_EQ(FormatTraceParent(context), TraceParent("00", kTrace, kParent, "00"));
  EXPECT_EQ(ParseTraceParent(FormatTraceParent(context)), context);
  context.flags = 0xa3;  // flags a later version may define are kept, as lower-case hex
  EXPECT_EQ(FormatTraceParent(context), TraceParent("00", kTrace, kParent, "a3"));
}

TEST(TraceParentTest, FormatsHigherVersionInputAsVersion00) {
  SpanContext context = *ParseTraceParent(TraceParent("01", kTrace, kParent, "01") + "-x");
  EXPECT_EQ(FormatTraceParent(context), TraceParent("00", kTrace, kParent, "01"));
}

std::string StateError(std::string_view value) {
  std::string error;
  EXPECT_FALSE(ParseTraceState(value, &error)) << value;
  return error;
}

TEST(TraceStateTest, ParsesMembersInOrder) {
  std::optional<TraceState> state = ParseTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(state);
  EXPECT_THAT(state->members,
              ElementsAre(Pair("rojo", "00f067aa0ba902b7"), Pair("congo", "t61rcWkgMzE")));
}

TEST(TraceStateTest, EmptyAndWhitespaceMembersAreSkipped) {
  std::optional<TraceState> state = ParseTraceState(" ,a=1 ,\t, b=2,");
  ASSERT_TRUE(state);
  EXPECT_THAT(state->members, ElementsAre(Pair("a", "1"), Pair("b", "2")));
  EXPECT_TRUE(ParseTraceState("")->empty());
  EXPECT_TRUE(ParseTraceState("  ")->empty());
}

TEST(TraceStateTest, ValuesMayHoldInnerSpacesAndPrintables) {
  std::optional<TraceState> state = ParseTraceState("a= x y!~");
  ASSERT_TRUE(state);
  EXPECT_THAT(state->members, ElementsAre(Pair("a", " x y!~")));
}

TEST(TraceStateTest, KeysFollowW3cSyntax) {
  EXPECT_TRUE(ParseTraceState("a0_-*/=v"));
  EXPECT_TRUE(ParseTraceState("tenant@vendor=v"));
  EXPECT_TRUE(ParseTraceState("1tenant@v=v"));  // a tenant id may start with a digit
  EXPECT_THAT(StateError("1abc=v"), HasSubstr("key \"1abc\" is invalid"));
  EXPECT_THAT(StateError("Abc=v"), HasSubstr("key \"Abc\" is invalid"));
  EXPECT_THAT(StateError("a.b=v"), HasSubstr("is invalid"));
  EXPECT_THAT(StateError("=v"), HasSubstr("key \"\" is invalid"));
  EXPECT_THAT(StateError("t@1vendor=v"), HasSubstr("is invalid"));  // system id needs a letter
  EXPECT_THAT(StateError("a@b@c=v"), HasSubstr("is invalid"));
  EXPECT_THAT(StateError("@v=v"), HasSubstr("is invalid"));
  EXPECT_THAT(StateError("t@=v"), HasSubstr("is invalid"));
}

TEST(TraceStateTest, KeyLengthLimits) {
  EXPECT_TRUE(ParseTraceState(std::string(256, 'k') + "=v"));
  EXPECT_FALSE(ParseTraceState(std::string(257, 'k') + "=v"));
  EXPECT_TRUE(ParseTraceState(std::string(241, 't') + "@" + std::string(14, 's') + "=v"));
  EXPECT_FALSE(ParseTraceState(std::string(242, 't') + "@s=v"));
  EXPECT_FALSE(ParseTraceState("t@" + std::string(15, 's') + "=v"));
}

TEST(TraceStateTest, ValuesFollowW3cSyntax) {
  EXPECT_TRUE(ParseTraceState("k=" + std::string(256, 'v')));
  EXPECT_THAT(StateError("k=" + std::string(257, 'v')), HasSubstr("value of key \"k\" is invalid"));
  EXPECT_THAT(StateError("k="), HasSubstr("value of key \"k\" is invalid"));
  EXPECT_THAT(StateError("k=a=b"), HasSubstr("value of key \"k\" is invalid"));
  EXPECT_THAT(StateError("k=caf\xc3\xa9"), HasSubstr("value of key \"k\" is invalid"));
  EXPECT_THAT(StateError("k=a\x01"), HasSubstr("value of key \"k\" is invalid"));
}

TEST(TraceStateTest, RejectsMemberWithoutEquals) {
  EXPECT_THAT(StateError("a=1,novalue"), HasSubstr("member \"novalue\" has no '='"));
}

TEST(TraceStateTest, RejectsDuplicateKeys) {
  EXPECT_THAT(StateError("a=1,b=2,a=3"), HasSubstr("key \"a\" appears more than once"));
}

std::string Members(int count, std::string_view value = "v") {
  std::string list;
  for (int i = 0; i < count; ++i) {
    if (i > 0) list += ",";
    list += "k" + std::to_string(i) + "=" + std::string(value);
  }
  return list;
}

TEST(TraceStateTest, AtMost32Members) {
  std::optional<TraceState> full = ParseTraceState(Members(32));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->members.size(), 32u);
  EXPECT_EQ(StateError(Members(33)), "33 members; at most 32 are allowed");
}

TEST(TraceStateTest, FormatJoinsMembersWithCommas) {
  EXPECT_EQ(FormatTraceState(*ParseTraceState(" a=1 , b=2 ")), "a=1,b=2");
  EXPECT_EQ(FormatTraceState(TraceState{}), "");
}

TEST(TraceStateTest, FormatKeepsAStateThatFits) {
  // 8 members of 63 characters + 7 commas = 511.
  std::string list = Members(8, std::string(60, 'v'));
  ASSERT_EQ(list.size(), 511u);
  EXPECT_EQ(FormatTraceState(*ParseTraceState(list)), list);
}

TEST(TraceStateTest, TruncationDropsLargeMembersFirstFromTheEnd) {
  std::string large1 = "big1=" + std::string(200, 'x');
  std::string large2 = "big2=" + std::string(200, 'y');
  std::string small = "s=1";
  // 522 characters: dropping the last large member is enough.
  TraceState state = *ParseTraceState(large1 + "," + small + "," + large2 + "," + "t=2," +
                                      std::string("u=") + std::string(100, 'z'));
  std::string formatted = FormatTraceState(state);
  EXPECT_EQ(formatted, large1 + "," + small + ",t=2,u=" + std::string(100, 'z'));
  EXPECT_LE(formatted.size(), kTraceStateForwardChars);
}

TEST(TraceStateTest, TruncationThenDropsMembersFromTheEnd) {
  // 32 members of 100 characters: no large ones, so the tail goes.
  TraceState state = *ParseTraceState(Members(32, std::string(97, 'v')));
  std::string formatted = FormatTraceState(state);
  // Five members of 100 + 4 commas = 504; a sixth would make 605.
  EXPECT_EQ(formatted, Members(5, std::string(97, 'v')));
}

TEST(TraceStateTest, TruncationNeverCutsAMember) {
  TraceState state{{{"a", std::string(256, 'x')}, {"b", std::string(256, 'y')}}};
  EXPECT_EQ(FormatTraceState(state), "a=" + std::string(256, 'x'));
  EXPECT_EQ(FormatTraceState(state, 100), "");
  EXPECT_EQ(FormatTraceState(state, 10'000).size(), 2 * 258u + 1);
}

TEST(EnvCarrierNameTest, UpperCasesAndReplacesOtherCharacters) {
  EXPECT_EQ(EnvCarrierName("traceparent"), "TRACEPARENT");
  EXPECT_EQ(EnvCarrierName("tracestate"), "TRACESTATE");
  EXPECT_EQ(EnvCarrierName("baggage"), "BAGGAGE");
  EXPECT_EQ(EnvCarrierName("x-b3-traceid"), "X_B3_TRACEID");
  EXPECT_EQ(EnvCarrierName("My.Key_9"), "MY_KEY_9");
  EXPECT_EQ(EnvCarrierName("caf\xc3\xa9"), "CAF__");
  EXPECT_EQ(EnvCarrierName(""), "");
}

class FakeEnvironment {
 public:
  FakeEnvironment& Set(std::string name, std::string value) {
    values_[std::move(name)] = std::move(value);
    return *this;
  }
  EnvLookup Lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = values_.find(name);
      if (it == values_.end()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::map<std::string, std::string> values_;
};

const std::string kValid = TraceParent("00", kTrace, kParent, "01");
const std::string kOtherValid =
    TraceParent("00", "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "00");

TEST(ReadInboundContextTest, NothingSet) {
  FakeEnvironment env;
  InboundContext inbound = ReadInboundContext(env.Lookup());
  EXPECT_FALSE(inbound.parent);
  EXPECT_TRUE(inbound.trace_state.empty());
  EXPECT_EQ(inbound.baggage, "");
  EXPECT_TRUE(inbound.warnings.empty());
}

TEST(ReadInboundContextTest, UpperCaseWinsOverLowerCase) {
  FakeEnvironment env;
  env.Set("TRACEPARENT", kValid).Set("traceparent", kOtherValid);
  env.Set("TRACESTATE", "up=1").Set("tracestate", "low=1");
  env.Set("BAGGAGE", "k=up").Set("baggage", "k=low");
  InboundContext inbound = ReadInboundContext(env.Lookup());
  ASSERT_TRUE(inbound.parent);
  EXPECT_EQ(inbound.parent->trace_id.Hex(), kTrace);
  EXPECT_THAT(inbound.trace_state.members, ElementsAre(Pair("up", "1")));
  EXPECT_EQ(inbound.baggage, "k=up");
}

TEST(ReadInboundContextTest, LowerCaseWhenUpperCaseIsAbsentOrEmpty) {
  FakeEnvironment env;
  env.Set("TRACEPARENT", "").Set("traceparent", kOtherValid).Set("tracestate", "low=1");
  env.Set("baggage", "k=low");
  InboundContext inbound = ReadInboundContext(env.Lookup());
  ASSERT_TRUE(inbound.parent);
  EXPECT_EQ(inbound.parent->span_id.Hex(), "b7ad6b7169203331");
  EXPECT_FALSE(inbound.parent->sampled());
  EXPECT_THAT(inbound.trace_state.members, ElementsAre(Pair("low", "1")));
  EXPECT_EQ(inbound.baggage, "k=low");
  EXPECT_TRUE(inbound.warnings.empty());
}

TEST(ReadInboundContextTest, InvalidUpperCaseIsNotReplacedByLowerCase) {
  FakeEnvironment env;
  std::string bad = TraceParent("00", "00000000000000000000000000000000", kParent, "01");
  env.Set("TRACEPARENT", bad).Set("traceparent", kOtherValid).Set("TRACESTATE", "a=1");
  InboundContext inbound = ReadInboundContext(env.Lookup());
  EXPECT_FALSE(inbound.parent);
  EXPECT_TRUE(inbound.trace_state.empty());
  ASSERT_EQ(inbound.warnings.size(), 1u);
  EXPECT_EQ(inbound.warnings[0],
            "ignoring TRACEPARENT \"" + bad + "\": trace id is all zeros; starting a new trace");
}

TEST(ReadInboundContextTest, TraceStateNeedsAValidTraceParent) {
  FakeEnvironment env;
  env.Set("TRACESTATE", "a=1");
  InboundContext inbound = ReadInboundContext(env.Lookup());
  EXPECT_TRUE(inbound.trace_state.empty());
  EXPECT_TRUE(inbound.warnings.empty());
}

TEST(ReadInboundContextTest, InvalidTraceStateIsDroppedWithAWarning) {
  FakeEnvironment env;
  env.Set("TRACEPARENT", kValid).Set("TRACESTATE", "a=1,a=2");
  InboundContext inbound = ReadInboundContext(env.Lookup());
  EXPECT_TRUE(inbound.parent);
  EXPECT_TRUE(inbound.trace_state.empty());
  ASSERT_EQ(inbound.warnings.size(), 1u);
  EXPECT_EQ(inbound.warnings[0],
            "ignoring TRACESTATE \"a=1,a=2\": key \"a\" appears more than once; the trace state "
            "is not forwarded");
}

TEST(ReadInboundContextTest, BaggagePassesThroughVerbatimWithoutATraceParent) {
  FakeEnvironment env;
  env.Set("BAGGAGE", "userId=alice,serverNode=DF%2028;prop");
  EXPECT_EQ(ReadInboundContext(env.Lookup()).baggage, "userId=alice,serverNode=DF%2028;prop");
}

TEST(InvalidInboundWarningTest, EscapesAndShortensTheValue) {
  EXPECT_EQ(InvalidInboundWarning("TRACEPARENT", "a\nb\x01", "bad"),
            "ignoring TRACEPARENT \"a\\nb\\x01\": bad");
  std::string warning = InvalidInboundWarning("TRACEPARENT", std::string(500, 'z'), "bad");
  EXPECT_EQ(warning, "ignoring TRACEPARENT \"" + std::string(80, 'z') + "\"...: bad");
}

}  // namespace
}  // namespace weft::trace
