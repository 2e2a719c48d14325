#include "dag/graph.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dag/spelling.h"

namespace weft::dag {
namespace {

// "did you mean" scans every step name; past these sizes the hint is left out to keep a file
// full of typos from costing seconds.
constexpr std::size_t kSuggestMaxSteps = 5000;
constexpr std::size_t kSuggestMaxErrors = 20;
constexpr std::size_t kListedNames = 10;
constexpr std::size_t kListedCycleSteps = 12;

std::string Quoted(std::string_view name) { return "`" + std::string(name) + "`"; }

std::string KnownSteps(const std::vector<Step>& steps) {
  std::string list = "known steps:";
  for (std::size_t i = 0; i < steps.size() && i < kListedNames; ++i) {
    list += (i == 0 ? " " : ", ") + Quoted(steps[i].name);
  }
  if (steps.size() > kListedNames) list += ", ... (" + std::to_string(steps.size()) + " in all)";
  return list;
}

class Resolver {
 public:
  Resolver(std::vector<Step>& steps, const std::vector<DependsSource>& sources, DiagnosticLog& log)
      : steps_(steps), sources_(sources), log_(log) {}

  DagType Run(std::optional<DagType> declared) {
    IndexNames();
    const bool any_depends = std::any_of(steps_.begin(), steps_.end(),
                                         [](const Step& step) { return !step.depends.empty(); });
    const DagType type = declared.value_or(any_depends ? DagType::kGraph : DagType::kChain);
    ResolveEdges(type);
    FindCycles();
    return type;
  }

 private:
  void IndexNames() {
    by_name_.reserve(steps_.size());
    for (std::uint32_t i = 0; i < steps_.size(); ++i) {
      const auto [it, added] = by_name_.emplace(steps_[i].name, i);
      if (!added) {
        log_.Error(steps_[i].where, "name",
                   "two steps are named " + Quoted(steps_[i].name) + " (the first on line " +
                       std::to_string(steps_[it->second].where.line) + ")",
                   "step names must be unique; rename one");
      }
    }
    for (std::uint32_t i = 0; i < steps_.size(); ++i) {
      const std::string& id = steps_[i].id;
      if (id.empty()) continue;
      const auto [it, added] = by_id_.emplace(id, i);
      if (!added) {
        log_.Error(steps_[i].where, "id",
                   "two steps have the id " + Quoted(id) + " (the first on line " +
                       std::to_string(steps_[it->second].where.line) + ")",
                   "step ids must be unique; change one");
      } else if (auto named = by_name_.find(id); named != by_name_.end() && named->second != i) {
        log_.Error(steps_[i].where, "id",
                   "the id " + Quoted(id) + " of step " + Quoted(steps_[i].name) +
                       " is the name of another step",
                   "`depends` could mean either; change the id");
      }
    }
  }

  int Find(const std::string& name_or_id) const {
    if (auto it = by_name_.find(name_or_id); it != by_name_.end()) return it->second;
    if (auto it = by_id_.find(name_or_id); it != by_id_.end()) return it->second;
    return -1;
  }

  void ResolveEdges(DagType type) {
    // last_added[j] == i marks j as already a dependency of step i, to drop repeats in O(1).
    std::vector<std::uint32_t> last_added(steps_.size(), UINT32_MAX);
    for (std::uint32_t i = 0; i < steps_.size(); ++i) {
      Step& step = steps_[i];
      step.depends_on.clear();
      const bool written = i < sources_.size() && sources_[i].written;
      if (type == DagType::kChain && !written && i > 0) {
        step.depends_on.push_back(i - 1);
        continue;
      }
      step.depends_on.reserve(step.depends.size());
      for (std::size_t k = 0; k < step.depends.size(); ++k) {
        const int target = Find(step.depends[k]);
        if (target < 0) {
          ReportUnknown(i, k);
          continue;
        }
        const auto index = static_cast<std::uint32_t>(target);
        if (last_added[index] == i) continue;
        last_added[index] = i;
        step.depends_on.push_back(index);
      }
    }
  }

  void ReportUnknown(std::uint32_t i, std::size_t k) {
    const Step& step = steps_[i];
    const std::string& name = step.depends[k];
    const Location where =
        i < sources_.size() && k < sources_[i].where.size() ? sources_[i].where[k] : step.where;
    std::string hint = KnownSteps(steps_);
    if (steps_.size() <= kSuggestMaxSteps && ++suggestions_ <= kSuggestMaxErrors) {
      std::vector<std::string_view> candidates;
      candidates.reserve(steps_.size() * 2);
      for (const Step& other : steps_) {
        candidates.push_back(other.name);
        if (!other.id.empty()) candidates.push_back(other.id);
      }
      if (std::string_view nearest = NearestSpelling(name, candidates); !nearest.empty()) {
        hint = "did you mean " + Quoted(nearest) + "? " + hint;
      }
    }
    log_.Error(where, "depends",
               "step " + Quoted(step.name) + " depends on " + Quoted(name) +
                   ", which is not a step name or id",
               std::move(hint));
  }

  // Kahn's algorithm removes every step that is not in or behind a cycle. Every step left has
  // a dependency that is also left, so walking from one through such dependencies must come
  // back to a step of the walk: that loop is a cycle. Each step is walked at most once.
  void FindCycles() {
    const std::size_t n = steps_.size();
    std::vector<std::uint32_t> waiting(n);
    std::vector<std::uint32_t> offsets(n + 1, 0);
    for (std::uint32_t i = 0; i < n; ++i) {
      waiting[i] = static_cast<std::uint32_t>(steps_[i].depends_on.size());
      for (std::uint32_t dependency : steps_[i].depends_on) ++offsets[dependency + 1];
    }
    for (std::size_t i = 0; i < n; ++i) offsets[i + 1] += offsets[i];
    std::vector<std::uint32_t> dependents(offsets[n]);
    std::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1);
    for (std::uint32_t i = 0; i < n; ++i) {
      for (std::uint32_t dependency : steps_[i].depends_on) dependents[fill[dependency]++] = i;
    }
    std::vector<std::uint32_t> ready;
    for (std::uint32_t i = 0; i < n; ++i) {
      if (waiting[i] == 0) ready.push_back(i);
    }
    std::size_t done = 0;
    while (!ready.empty()) {
      const std::uint32_t step = ready.back();
      ready.pop_back();
      ++done;
      for (std::uint32_t k = offsets[step]; k < offsets[step + 1]; ++k) {
        if (--waiting[dependents[k]] == 0) ready.push_back(dependents[k]);
      }
    }
    if (done == n) return;

    enum class Mark : unsigned char { kNone, kOnWalk, kDone };
    std::vector<Mark> marks(n, Mark::kNone);
    std::vector<std::uint32_t> walk;
    for (std::uint32_t start = 0; start < n; ++start) {
      if (waiting[start] == 0 || marks[start] != Mark::kNone) continue;
      walk.clear();
      std::uint32_t current = start;
      while (marks[current] == Mark::kNone) {
        marks[current] = Mark::kOnWalk;
        walk.push_back(current);
        for (std::uint32_t dependency : steps_[current].depends_on) {
          if (waiting[dependency] > 0) {
            current = dependency;
            break;
          }
        }
      }
      if (marks[current] == Mark::kOnWalk) {
        const auto first = std::find(walk.begin(), walk.end(), current);
        ReportCycle(std::vector<std::uint32_t>(first, walk.end()));
      }
      for (std::uint32_t step : walk) marks[step] = Mark::kDone;
    }
  }

  // `cycle` lists steps each depending on the next; the message lists them in the order they
  // would have to run, starting from the one written first in the file.
  void ReportCycle(std::vector<std::uint32_t> cycle) {
    std::reverse(cycle.begin(), cycle.end());
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    std::string path;
    for (std::size_t i = 0; i < cycle.size(); ++i) {
      if (i == kListedCycleSteps - 1 && cycle.size() > kListedCycleSteps) {
        path += " -> ... (" + std::to_string(cycle.size() - i) + " more)";
        break;
      }
      path += (i == 0 ? "" : " -> ") + Quoted(steps_[cycle[i]].name);
    }
    path += " -> " + Quoted(steps_[cycle.front()].name);
    log_.Error(steps_[cycle.front()].where, "depends",
               "the steps depend on each other in a cycle: " + path,
               "each step depends on the one before it; remove one of these dependencies");
  }

  std::vector<Step>& steps_;
  const std::vector<DependsSource>& sources_;
  DiagnosticLog& log_;
  std::unordered_map<std::string_view, std::uint32_t> by_name_;
  std::unordered_map<std::string_view, std::uint32_t> by_id_;
  std::size_t suggestions_ = 0;
};

}  // namespace

DagType ResolveDependencies(std::optional<DagType> declared, std::vector<Step>& steps,
                            const std::vector<DependsSource>& sources, DiagnosticLog& log) {
  return Resolver(steps, sources, log).Run(declared);
}

}  // namespace weft::dag
