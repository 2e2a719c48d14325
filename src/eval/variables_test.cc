#include "eval/variables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace weft::eval {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

using Entry = std::pair<std::string, std::string>;

// What ForEach (or, with `own`, ForEachOwn) visits, in order.
std::vector<Entry> Entries(const Variables& vars, bool own = false) {
  std::vector<Entry> entries;
  auto visit = [&](const std::string& name, const std::string& value) {
    entries.emplace_back(name, value);
  };
  own ? vars.ForEachOwn(visit) : vars.ForEach(visit);
  return entries;
}
std::vector<Entry> OwnEntries(const Variables& vars) { return Entries(vars, true); }

// A run's scope: A, B, C in that order.
std::shared_ptr<const Variables> RunScope() {
  auto run = std::make_shared<Variables>();
  run->Set("A", "run-a");
  run->Set("B", "run-b");
  run->Set("C", "run-c");
  return run;
}

// Answers names of the form `<id>.stdout` for the ids it knows, like a run's steps.
class StdoutReferences : public References {
 public:
  explicit StdoutReferences(std::vector<Entry> paths) : paths_(std::move(paths)) {}
  const std::string* Find(std::string_view name) const override {
    ++lookups;
    for (const auto& [id, path] : paths_) {
      if (name == id + ".stdout") return &path;
    }
    return nullptr;
  }
  mutable int lookups = 0;

 private:
  std::vector<Entry> paths_;
};

TEST(VariablesTest, FindReturnsTheValueOrNullWhenUnknown) {
  Variables vars;
  vars.Set("A", "1");
  ASSERT_NE(vars.Find("A"), nullptr);
  EXPECT_EQ(*vars.Find("A"), "1");
  EXPECT_EQ(vars.Find("B"), nullptr);
  EXPECT_EQ(vars.Find("a"), nullptr);
}

TEST(VariablesTest, LaterSetWinsAndKeepsFirstPosition) {
  Variables vars;
  vars.Set("A", "1");
  vars.Set("B", "2");
  vars.Set("A", "3");
  EXPECT_EQ(vars.size(), 2u);
  EXPECT_THAT(Entries(vars), ElementsAre(Pair("A", "3"), Pair("B", "2")));
  EXPECT_EQ(*vars.Find("A"), "3");
}

TEST(VariablesTest, CopyIsIndependent) {
  Variables vars;
  vars.Set("A", "1");
  Variables copy = vars;
  copy.Set("A", "2");
  copy.Set("B", "3");
  EXPECT_EQ(*vars.Find("A"), "1");
  EXPECT_EQ(vars.Find("B"), nullptr);
  EXPECT_EQ(*copy.Find("A"), "2");
  EXPECT_EQ(*copy.Find("B"), "3");
}

TEST(VariablesTest, DottedAndDigitNamesAreOrdinaryNames) {
  Variables vars;
  vars.Set("step.stdout", "/log");
  vars.Set("1", "first");
  EXPECT_EQ(*vars.Find("step.stdout"), "/log");
  EXPECT_EQ(*vars.Find("1"), "first");
}

TEST(VariablesOverlayTest, FindFallsBackToTheParent) {
  Variables step(RunScope());
  step.Set("S", "step");
  EXPECT_EQ(*step.Find("A"), "run-a");
  EXPECT_EQ(*step.Find("S"), "step");
  EXPECT_EQ(step.Find("NOPE"), nullptr);
}

TEST(VariablesOverlayTest, OverlayShadowsTheParentWhichStaysUnchanged) {
  std::shared_ptr<const Variables> run = RunScope();
  Variables step(run);
  step.Set("B", "step-b");
  step.Set("B", "step-b2");
  EXPECT_EQ(*step.Find("B"), "step-b2");
  EXPECT_EQ(*run->Find("B"), "run-b");
  EXPECT_THAT(Entries(*run),
              ElementsAre(Pair("A", "run-a"), Pair("B", "run-b"), Pair("C", "run-c")));
}

TEST(VariablesOverlayTest, ForEachWalksTheMergedViewInFirstSetOrder) {
  Variables step(RunScope());
  step.Set("NEW1", "n1");
  step.Set("C", "step-c");
  step.Set("NEW2", "n2");
  step.Set("A", "step-a");
  step.Set("NEW1", "n1-again");
  EXPECT_THAT(Entries(step),
              ElementsAre(Pair("A", "step-a"), Pair("B", "run-b"), Pair("C", "step-c"),
                          Pair("NEW1", "n1-again"), Pair("NEW2", "n2")));
  EXPECT_EQ(step.size(), 5u);
  EXPECT_THAT(ToEnvp(step),
              ElementsAre("A=step-a", "B=run-b", "C=step-c", "NEW1=n1-again", "NEW2=n2"));
}

TEST(VariablesOverlayTest, ForEachOwnWalksOnlyWhatTheOverlayStores) {
  Variables step(RunScope());
  step.Set("NEW1", "n1");
  step.Set("C", "step-c");
  step.Set("NEW1", "n1-again");
  EXPECT_THAT(OwnEntries(step), ElementsAre(Pair("NEW1", "n1-again"), Pair("C", "step-c")));
  EXPECT_THAT(OwnEntries(Variables(RunScope())), IsEmpty());
  EXPECT_THAT(OwnEntries(*RunScope()),
              ElementsAre(Pair("A", "run-a"), Pair("B", "run-b"), Pair("C", "run-c")));
}

TEST(VariablesOverlayTest, EmptyOverlayIsItsParent) {
  Variables step(RunScope());
  EXPECT_EQ(step.size(), 3u);
  EXPECT_THAT(Entries(step),
              ElementsAre(Pair("A", "run-a"), Pair("B", "run-b"), Pair("C", "run-c")));
  EXPECT_THAT(Entries(Variables()), IsEmpty());
}

TEST(VariablesOverlayTest, OverlaysStackAndTheTopmostValueWins) {
  auto step = std::make_shared<Variables>(RunScope());
  step->Set("B", "step-b");
  step->Set("S", "step-s");
  Variables item(step);
  item.Set("ITEM", "i");
  item.Set("A", "item-a");
  item.Set("S", "item-s");
  EXPECT_THAT(Entries(item),
              ElementsAre(Pair("A", "item-a"), Pair("B", "step-b"), Pair("C", "run-c"),
                          Pair("S", "item-s"), Pair("ITEM", "i")));
  EXPECT_EQ(item.size(), 5u);
  EXPECT_EQ(*item.Find("B"), "step-b");
}

TEST(VariablesOverlayTest, CopyOfAnOverlayIsIndependentAndSharesTheParent) {
  std::shared_ptr<const Variables> run = RunScope();
  Variables step(run);
  step.Set("S", "1");
  Variables copy = step;
  copy.Set("S", "2");
  copy.Set("ITEM", "x");
  EXPECT_EQ(*step.Find("S"), "1");
  EXPECT_EQ(step.Find("ITEM"), nullptr);
  EXPECT_EQ(*copy.Find("A"), "run-a");
  EXPECT_EQ(run.use_count(), 3);
}

TEST(VariablesOverlayTest, OverlayKeepsItsParentAlive) {
  std::shared_ptr<const Variables> run = RunScope();
  std::weak_ptr<const Variables> watch = run;
  auto step = std::make_unique<Variables>(std::move(run));
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(*step->Find("C"), "run-c");
  step.reset();
  EXPECT_TRUE(watch.expired());
}

TEST(VariablesReferencesTest, FindAsksReferencesForNamesTheOverlayDoesNotHold) {
  auto refs = std::make_shared<StdoutReferences>(std::vector<Entry>{{"p", "/logs/p.out"}});
  Variables step(RunScope(), refs);
  EXPECT_EQ(*step.Find("p.stdout"), "/logs/p.out");
  EXPECT_EQ(step.Find("q.stdout"), nullptr);
  EXPECT_EQ(step.Find("p.stderr"), nullptr);
}

TEST(VariablesReferencesTest, OverlayEntriesWinOverReferencesWhichWinOverTheParent) {
  auto run = std::make_shared<Variables>();
  run->Set("p.stdout", "from run");
  run->Set("q.stdout", "from run");
  auto refs = std::make_shared<StdoutReferences>(
      std::vector<Entry>{{"p", "/logs/p.out"}, {"q", "/logs/q.out"}});
  Variables step(run, refs);
  step.Set("q.stdout", "from step env");
  EXPECT_EQ(*step.Find("p.stdout"), "/logs/p.out");
  EXPECT_EQ(*step.Find("q.stdout"), "from step env");
}

TEST(VariablesReferencesTest, ReferencesAreNeverWalkedNorExported) {
  auto refs = std::make_shared<StdoutReferences>(std::vector<Entry>{{"p", "/logs/p.out"}});
  Variables step(RunScope(), refs);
  step.Set("S", "s");
  EXPECT_THAT(ToEnvp(step), ElementsAre("A=run-a", "B=run-b", "C=run-c", "S=s"));
  EXPECT_EQ(step.size(), 4u);
  EXPECT_EQ(refs->lookups, 0);
}

TEST(ToEnvpTest, GivesNameEqualsValueInFirstSetOrder) {
  Variables vars;
  vars.Set("B", "x=y");
  vars.Set("A", "");
  vars.Set("B", "2");
  EXPECT_THAT(ToEnvp(vars), ElementsAre("B=2", "A="));
}

TEST(ToEnvpTest, LeavesOutNamesAnEnvironmentCannotHold) {
  Variables vars;
  vars.Set("", "empty");
  vars.Set("A=B", "equals");
  vars.Set("id.stdout", "/log");
  EXPECT_THAT(ToEnvp(vars), ElementsAre("id.stdout=/log"));
}

TEST(IsVariableNameTest, LetterOrUnderscoreThenLettersDigitsUnderscores) {
  for (const char* name : {"A", "_", "a_1", "_9Z", "ABC_def"}) EXPECT_TRUE(IsVariableName(name));
  for (const char* name : {"", "1A", "A-B", "A.B", "A B", "\xc3\xa9", "$A"}) {
    EXPECT_FALSE(IsVariableName(name)) << name;
  }
}

}  // namespace
}  // namespace weft::eval
