#pragma once

// The shape of a run, computed once from the DAG in O(steps + edges): for each step the steps
// that wait for it and how many steps it waits for, so that finishing a step costs only its
// out-degree; and which upstream steps' `output:` variables it can see.

#include <cstdint>
#include <span>
#include <vector>

#include "dag/dag.h"

namespace weft::engine {

class Plan {
 public:
  explicit Plan(const dag::Dag& dag);

  std::uint32_t size() const { return static_cast<std::uint32_t>(dependency_count_.size()); }
  std::span<const std::uint32_t> dependents(std::uint32_t step) const {
    return {dependents_.data() + offsets_[step], dependents_.data() + offsets_[step + 1]};
  }
  std::uint32_t dependency_count(std::uint32_t step) const { return dependency_count_[step]; }
  // Steps with `output:` among the transitive dependencies of `step`, in an order where a
  // step comes after every step it depends on (a later one's value wins on a name clash).
  const std::vector<std::uint32_t>& output_sources(std::uint32_t step) const;

 private:
  std::vector<std::uint32_t>
      offsets_;  // CSR: dependents_ of step i in [offsets_[i], offsets_[i+1])
  std::vector<std::uint32_t> dependents_;
  std::vector<std::uint32_t> dependency_count_;
  std::vector<std::vector<std::uint32_t>> output_sources_;  // empty when no step has output
};

}  // namespace weft::engine
