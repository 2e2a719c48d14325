#pragma once

// A child process's environment in the form exec takes it, built without copying the part that
// many children share. Every step of a run exports the run's variables (the inherited
// environment, the DAG's env and params: dozens of entries) and sets only a few of its own; the
// shared part is made into "NAME=value" strings once per run, and a step's Environment points at
// them, adding or replacing its own entries.

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weft::process {

// The entries many environments share. Immutable once made; shared through std::shared_ptr, and
// neither copied nor moved, since its index points into its own strings.
class SharedEnvironment {
 public:
  // `entries` are "NAME=value" strings (an entry without '=' is a name with an empty value);
  // for a name given twice the later value wins, at the earlier position.
  explicit SharedEnvironment(std::vector<std::string> entries);
  SharedEnvironment(const SharedEnvironment&) = delete;
  SharedEnvironment& operator=(const SharedEnvironment&) = delete;

 private:
  friend class Environment;

  std::vector<std::string> entries_;
  std::vector<const char*> pointers_;  // entries_ as exec takes them, without the terminator
  std::unordered_map<std::string_view, std::size_t> index_;  // name -> position
};

// One child's environment: the shared entries plus those this child sets. Set and Find cost
// O(1) on average; making one costs a copy of the shared entries' pointers, not of their text.
// Move-only: the pointers it hands to exec point into itself, and a move keeps them valid.
class Environment {
 public:
  // An empty environment.
  Environment();
  explicit Environment(std::shared_ptr<const SharedEnvironment> shared);
  Environment(Environment&&) noexcept = default;
  Environment& operator=(Environment&&) noexcept = default;
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // NAME=value, replacing the shared entry of that name (in its place) or an earlier Set.
  void Set(std::string_view name, std::string_view value);
  // The value of `name`, nullopt when it is not set.
  std::optional<std::string_view> Find(std::string_view name) const;

  // The entries for exec: null-terminated, the shared ones first in their order, then the names
  // new to this environment in the order they were first set. Valid until the next Set.
  char* const* envp() const { return const_cast<char* const*>(pointers_.data()); }
  std::size_t size() const { return pointers_.size() - 1; }
  // A copy of the entries, in envp() order.
  std::vector<std::string> Entries() const;

 private:
  std::shared_ptr<const SharedEnvironment> shared_;
  std::deque<std::string> own_;  // only grows, never moves an element: pointers_ point into it
  std::unordered_map<std::string_view, std::size_t> own_index_;  // name (in own_) -> position
  std::vector<const char*> pointers_;                            // ends with nullptr
};

}  // namespace weft::process
