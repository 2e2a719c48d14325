#include "dag/graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dag/diagnostic_matchers.h"

namespace weft::dag {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Steps written as "name" or "name<-dep1,dep2" (depends written) or "name<-" (written empty);
// step i is on line i + 1.
class GraphTest : public ::testing::Test {
 protected:
  void Write(std::initializer_list<std::string_view> specs) {
    int line = 1;
    for (std::string_view spec : specs) {
      Step step;
      DependsSource source;
      const std::size_t arrow = spec.find("<-");
      step.name = std::string(spec.substr(0, arrow));
      step.where = {line, 3};
      if (arrow != std::string_view::npos) {
        source.written = true;
        std::string_view rest = spec.substr(arrow + 2);
        int column = 10;
        while (!rest.empty()) {
          const std::size_t comma = rest.find(',');
          step.depends.emplace_back(rest.substr(0, comma));
          source.where.push_back({line, column});
          column += 5;
          rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
        }
      }
      steps_.push_back(std::move(step));
      sources_.push_back(std::move(source));
      ++line;
    }
  }

  DagType Resolve(std::optional<DagType> declared = std::nullopt) {
    return ResolveDependencies(declared, steps_, sources_, log_);
  }

  std::vector<std::vector<std::uint32_t>> DependsOn() const {
    std::vector<std::vector<std::uint32_t>> edges;
    for (const Step& step : steps_) edges.push_back(step.depends_on);
    return edges;
  }

  std::vector<Step> steps_;
  std::vector<DependsSource> sources_;
  DiagnosticLog log_{"test.yaml"};
};

using EdgeList = std::vector<std::vector<std::uint32_t>>;

TEST_F(GraphTest, WithoutTypeOrDependsStepsRunAsAChain) {
  Write({"a", "b", "c"});
  EXPECT_EQ(Resolve(), DagType::kChain);
  EXPECT_EQ(DependsOn(), (EdgeList{{}, {0}, {1}}));
}

TEST_F(GraphTest, WithoutTypeAnyDependsMakesAGraph) {
  Write({"a", "b", "c<-a"});
  EXPECT_EQ(Resolve(), DagType::kGraph);
  EXPECT_EQ(DependsOn(), (EdgeList{{}, {}, {0}}));
}

TEST_F(GraphTest, AnEmptyDependsAloneKeepsTheChain) {
  Write({"a", "b<-", "c"});
  EXPECT_EQ(Resolve(), DagType::kChain);
  EXPECT_EQ(DependsOn(), (EdgeList{{}, {}, {1}}));  // b says "nothing"; c follows b
}

TEST_F(GraphTest, ChainKeepsExplicitDependsAndChainsTheRest) {
  Write({"a", "b", "c<-a", "d"});
  EXPECT_EQ(Resolve(DagType::kChain), DagType::kChain);
  EXPECT_EQ(DependsOn(), (EdgeList{{}, {0}, {0}, {2}}));
}

TEST_F(GraphTest, GraphWaitsOnlyForDepends) {
  Write({"a", "b", "c<-a,b"});
  EXPECT_EQ(Resolve(DagType::kGraph), DagType::kGraph);
  EXPECT_EQ(DependsOn(), (EdgeList{{}, {}, {0, 1}}));
}

TEST_F(GraphTest, DependsByIdAndRepeatsAreDropped) {
  Write({"extract", "load<-ex,extract,ex"});
  steps_[0].id = "ex";
  Resolve();
  EXPECT_EQ(DependsOn(), (EdgeList{{}, {0}}));
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(GraphTest, UnknownDependencyListsKnownStepsAndTheNearest) {
  Write({"extract", "transform", "load<-transfrom"});
  Resolve();
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(3, 10, "depends",
                                             "step `load` depends on `transfrom`, which is not a "
                                             "step name or id"),
                                WithHint("did you mean `transform`? known steps: `extract`, "
                                         "`transform`, `load`"))));
  EXPECT_EQ(DependsOn(), (EdgeList{{}, {}, {}}));
}

TEST_F(GraphTest, KnownStepListIsShortenedForBigDags) {
  std::vector<std::string> names;
  for (int i = 0; i < 30; ++i) names.push_back("s" + std::to_string(i));
  for (const std::string& name : names) Write({name});
  Write({"last<-zzz"});
  Resolve();
  ASSERT_EQ(log_.errors().size(), 1u);
  EXPECT_THAT(log_.errors()[0].hint, HasSubstr("`s9`, ... (31 in all)"));
  EXPECT_THAT(log_.errors()[0].hint, StartsWith("known steps: `s0`"));
}

TEST_F(GraphTest, DuplicateNamesAreAnError) {
  Write({"a", "b", "a"});
  Resolve();
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(AllOf(DiagnosticAt(3, 3, "name", "two steps are named `a` (the first on line 1)"),
                        WithHint(HasSubstr("unique")))));
}

TEST_F(GraphTest, DuplicateIdsAndIdsNamingOtherStepsAreErrors) {
  Write({"a", "b", "c"});
  steps_[0].id = "x";
  steps_[1].id = "x";
  steps_[2].id = "a";
  Resolve();
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(DiagnosticAt(2, 3, "id",
                               "two steps have the id `x` (the first on "
                               "line 1)"),
                  DiagnosticAt(3, 3, "id", "the id `a` of step `c` is the name of another step")));
}

TEST_F(GraphTest, AnIdEqualToItsOwnNameIsFine) {
  Write({"a"});
  steps_[0].id = "a";
  Resolve();
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(GraphTest, CycleIsListedInRunOrderFromTheFirstStepWritten) {
  Write({"start", "a<-c", "b<-a", "c<-b,start"});
  Resolve();
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(2, 3, "depends",
                                             "the steps depend on each other in a cycle: `a` -> "
                                             "`b` -> `c` -> `a`"),
                                WithHint(HasSubstr("remove one of these dependencies")))));
}

TEST_F(GraphTest, SelfDependencyIsACycle) {
  Write({"a<-a"});
  Resolve();
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(1, 3, "depends", HasSubstr("cycle: `a` -> `a`"))));
}

TEST_F(GraphTest, EveryDisjointCycleIsReportedOnce) {
  Write({"a<-b", "b<-a", "c<-d", "d<-c", "e<-a,c"});
  Resolve();
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(1, 3, "depends", HasSubstr("`a` -> `b` -> `a`")),
                          DiagnosticAt(3, 3, "depends", HasSubstr("`c` -> `d` -> `c`"))));
}

TEST_F(GraphTest, ChainRuleCanCloseACycle) {
  Write({"a<-b", "b"});  // b follows a in the chain; a waits for b
  Resolve(DagType::kChain);
  EXPECT_THAT(log_.errors(), ElementsAre(WithMessage(HasSubstr("`a` -> `b` -> `a`"))));
}

TEST_F(GraphTest, LongCyclesAreShortenedInTheMessage) {
  for (int i = 0; i < 50; ++i) {
    Write({"s" + std::to_string(i) + "<-s" + std::to_string((i + 49) % 50)});
  }
  Resolve();
  ASSERT_EQ(log_.errors().size(), 1u);
  EXPECT_THAT(log_.errors()[0].message,
              HasSubstr("`s0` -> `s1` -> `s2` -> `s3` -> `s4` -> `s5` -> `s6` -> `s7` -> `s8` -> "
                        "`s9` -> `s10` -> ... (39 more) -> `s0`"));
}

TEST_F(GraphTest, HundredThousandStepChainResolves) {
  constexpr std::uint32_t kSteps = 100'000;
  steps_.resize(kSteps);
  sources_.resize(kSteps);
  for (std::uint32_t i = 0; i < kSteps; ++i) {
    steps_[i].name = "s" + std::to_string(i);
    if (i > 0) {
      steps_[i].depends.push_back(steps_[i - 1].name);
      sources_[i].written = true;
      sources_[i].where.push_back({static_cast<int>(i), 1});
    }
  }
  EXPECT_EQ(Resolve(), DagType::kGraph);
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_THAT(steps_[kSteps - 1].depends_on, ElementsAre(kSteps - 2));
}

TEST_F(GraphTest, HundredThousandStepCycleIsFoundWithoutRecursion) {
  constexpr std::uint32_t kSteps = 100'000;
  steps_.resize(kSteps);
  sources_.resize(kSteps);
  for (std::uint32_t i = 0; i < kSteps; ++i) steps_[i].name = "s" + std::to_string(i);
  for (std::uint32_t i = 0; i < kSteps; ++i) {
    steps_[i].depends.push_back(steps_[(i + kSteps - 1) % kSteps].name);
    sources_[i].written = true;
  }
  Resolve();
  ASSERT_EQ(log_.errors().size(), 1u);
  EXPECT_THAT(log_.errors()[0].message, HasSubstr("(99989 more) -> `s0`"));
}

}  // namespace
}  // namespace weft::dag
