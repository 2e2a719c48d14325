#include "engine/plan.h"

#include <algorithm>

namespace weft::engine {

Plan::Plan(const dag::Dag& dag) {
  const auto n = static_cast<std::uint32_t>(dag.steps.size());
  dependency_count_.assign(n, 0);
  offsets_.assign(n + 1, 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t dep : dag.steps[i].depends_on) {
      ++offsets_[dep + 1];
      ++dependency_count_[i];
    }
  }
  for (std::uint32_t i = 0; i < n; ++i) offsets_[i + 1] += offsets_[i];
  dependents_.resize(offsets_[n]);
  std::vector<std::uint32_t> fill(offsets_.begin(), offsets_.end() - 1);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t dep : dag.steps[i].depends_on) dependents_[fill[dep]++] = i;
  }

  bool any_output = std::any_of(dag.steps.begin(), dag.steps.end(),
                                [](const dag::Step& s) { return !s.output.empty(); });
  if (!any_output) return;

  // Visit in topological order (Kahn) so every dependency's set is complete before it is used.
  std::vector<std::uint32_t> topo_position(n);
  std::vector<std::uint32_t> order;
  order.reserve(n);
  std::vector<std::uint32_t> waiting(dependency_count_);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (waiting[i] == 0) order.push_back(i);
  }
  for (std::size_t k = 0; k < order.size(); ++k) {
    topo_position[order[k]] = static_cast<std::uint32_t>(k);
    for (std::uint32_t d : dependents(order[k])) {
      if (--waiting[d] == 0) order.push_back(d);
    }
  }
  output_sources_.resize(n);
  for (std::uint32_t step : order) {
    auto& sources = output_sources_[step];
    for (std::uint32_t dep : dag.steps[step].depends_on) {
      sources.insert(sources.end(), output_sources_[dep].begin(), output_sources_[dep].end());
      if (!dag.steps[dep].output.empty()) sources.push_back(dep);
    }
    std::sort(sources.begin(), sources.end(), [&](std::uint32_t a, std::uint32_t b) {
      return topo_position[a] < topo_position[b];
    });
    sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
  }
}

const std::vector<std::uint32_t>& Plan::output_sources(std::uint32_t step) const {
  static const std::vector<std::uint32_t> kNone;
  return output_sources_.empty() ? kNone : output_sources_[step];
}

}  // namespace weft::engine
