#include "engine/plan.h"

#include <gtest/gtest.h>

namespace weft::engine {
namespace {

dag::Dag MakeDag(const std::vector<std::vector<std::uint32_t>>& deps,
                 const std::vector<std::string>& outputs = {}) {
  dag::Dag d;
  for (std::size_t i = 0; i < deps.size(); ++i) {
    dag::Step s;
    s.name = "s" + std::to_string(i);
    s.depends_on = deps[i];
    if (i < outputs.size()) s.output = outputs[i];
    d.steps.push_back(s);
  }
  return d;
}

std::vector<std::uint32_t> Dependents(const Plan& plan, std::uint32_t step) {
  auto span = plan.dependents(step);
  return {span.begin(), span.end()};
}

TEST(PlanTest, DependentsAndCountsOfADiamond) {
  // 0 -> 1, 0 -> 2, {1,2} -> 3
  Plan plan(MakeDag({{}, {0}, {0}, {1, 2}}));
  ASSERT_EQ(plan.size(), 4u);
  EXPECT_EQ(Dependents(plan, 0), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(Dependents(plan, 1), (std::vector<std::uint32_t>{3}));
  EXPECT_EQ(Dependents(plan, 2), (std::vector<std::uint32_t>{3}));
  EXPECT_TRUE(Dependents(plan, 3).empty());
  EXPECT_EQ(plan.dependency_count(0), 0u);
  EXPECT_EQ(plan.dependency_count(3), 2u);
}

TEST(PlanTest, NoOutputsMeansNoSources) {
  Plan plan(MakeDag({{}, {0}}));
  EXPECT_TRUE(plan.output_sources(1).empty());
}

TEST(PlanTest, OutputsAreVisibleTransitivelyInDependencyOrder) {
  // 0 (A) -> 1 -> 2 (B) -> 3 ; 4 (C) is unrelated to 3
  Plan plan(MakeDag({{}, {0}, {1}, {2}, {}}, {"A", "", "B", "", "C"}));
  EXPECT_EQ(plan.output_sources(3), (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(plan.output_sources(1), (std::vector<std::uint32_t>{0}));
  EXPECT_TRUE(plan.output_sources(0).empty());
  EXPECT_TRUE(plan.output_sources(4).empty());
}

TEST(PlanTest, DiamondOutputsAppearOnce) {
  Plan plan(MakeDag({{}, {0}, {0}, {1, 2}}, {"A", "B", "C", ""}));
  auto sources = plan.output_sources(3);
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources[0], 0u);  // the root comes before both branches
}

TEST(PlanTest, LongChainBuildsInLinearSpace) {
  std::vector<std::vector<std::uint32_t>> deps(100000);
  for (std::uint32_t i = 1; i < deps.size(); ++i) deps[i] = {i - 1};
  Plan plan(MakeDag(deps));
  EXPECT_EQ(Dependents(plan, 41), (std::vector<std::uint32_t>{42}));
  EXPECT_EQ(plan.dependency_count(99999), 1u);
}

}  // namespace
}  // namespace weft::engine
