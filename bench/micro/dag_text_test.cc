#include "dag_text.h"

#include <gtest/gtest.h>

#include "dag/loader.h"

namespace weft::bench {
namespace {

TEST(DagTextTest, ChainLoadsWithEachStepDependingOnThePreviousOne) {
  dag::LoadResult loaded = dag::LoadString(ChainDag(3), "/bench/chain.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].message);
  const auto& steps = loaded.dag->steps;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].name, "s0");
  EXPECT_TRUE(steps[0].depends_on.empty());
  EXPECT_EQ(steps[1].depends_on, std::vector<std::uint32_t>{0});
  EXPECT_EQ(steps[2].depends_on, std::vector<std::uint32_t>{1});
  EXPECT_EQ(steps[2].commands, std::vector<std::string>{"true"});
}

TEST(DagTextTest, ChainWithIdsReadsTheLogOfTheStepBefore) {
  dag::LoadResult loaded = dag::LoadString(ChainWithIdsDag(3, "bash"), "/bench/ids.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].message);
  const dag::Dag& dag = *loaded.dag;
  EXPECT_EQ(dag.shell, "bash");
  ASSERT_EQ(dag.steps.size(), 3u);
  EXPECT_EQ(dag.steps[1].id, "i1");
  EXPECT_EQ(dag.steps[2].depends_on, std::vector<std::uint32_t>{1});
  EXPECT_EQ(dag.steps[2].commands, std::vector<std::string>{"wc -c ${i1.stdout}"});
  ASSERT_NE(dag.steps[2].continue_on, nullptr);
  EXPECT_TRUE(dag.steps[2].continue_on->failure);
}

TEST(DagTextTest, LayeredStepsDependOnTheWholeLayerBefore) {
  dag::LoadResult loaded = dag::LoadString(LayeredDag(3, 2), "/bench/layered.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].message);
  const auto& steps = loaded.dag->steps;
  ASSERT_EQ(steps.size(), 6u);
  EXPECT_EQ(steps[1].name, "l0_1");
  EXPECT_TRUE(steps[1].depends_on.empty());
  EXPECT_EQ(steps[2].depends_on, (std::vector<std::uint32_t>{0, 1}));
  EXPECT_EQ(steps[5].depends_on, (std::vector<std::uint32_t>{2, 3}));
}

}  // namespace
}  // namespace weft::bench
