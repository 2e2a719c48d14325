#include "eval/items.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::eval {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SplitItemsTest, JsonArrayGivesItsElements) {
  EXPECT_THAT(SplitItems(R"( ["a", 2, {"id": 1, "name": "x"}, [1]] )"),
              ElementsAre("a", "2", R"({"id":1,"name":"x"})", "[1]"));
}

TEST(SplitItemsTest, LinesWinOverCommas) {
  EXPECT_THAT(SplitItems("a,b\n c \n\n"), ElementsAre("a,b", "c"));
}

TEST(SplitItemsTest, CommasWhenThereIsOneLine) {
  EXPECT_THAT(SplitItems(" x, y ,,z"), ElementsAre("x", "y", "z"));
}

TEST(SplitItemsTest, TextThatOnlyLooksLikeJsonIsSplitAsText) {
  EXPECT_THAT(SplitItems("[not json, b"), ElementsAre("[not json", "b"));
}

TEST(SplitItemsTest, NothingGivesNoItems) {
  EXPECT_THAT(SplitItems("  \n "), IsEmpty());
  EXPECT_THAT(SplitItems("[]"), IsEmpty());
}

}  // namespace
}  // namespace weft::eval
