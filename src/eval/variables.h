#pragma once

// Variables: an ordered set of NAME -> value where a later Set of the same name wins. It is the
// scope in which ${NAME} is expanded and the source of a step's exported environment.
//
// A Variables may be an overlay on a parent scope (a step's variables on its run's). The parent
// is shared as const and owned by every overlay on it, so it cannot be freed under one, and an
// overlay never changes it: Set writes to the overlay only, so a name set there shadows the
// parent's. Nothing about the parent is cached in the overlay.
//
// Find looks in the overlay's own entries, then in its References, then in the parent. ForEach
// walks the stored names of the merged view, each once with its latest value, in first-set
// order (the parent's names in its order, then the names new to the overlay in theirs).
// References are never walked, so they are never exported. Set is O(1) on average, Find O(1)
// per layer; an overlay and its copies cost what the overlay holds, never the size of its
// parent; ForEach is O(size()) per layer.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace weft::eval {

// Hashes std::string keys and std::string_view lookups alike, so that a map of names is
// searched with the name a text holds without building a std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view name) const {
    return std::hash<std::string_view>{}(name);
  }
};

// Values a scope looks up when a text names them instead of storing them, such as the
// `${id.stdout}` of a run's steps (§2.4): a run would otherwise copy every step's into every
// step's scope.
class References {
 public:
  virtual ~References() = default;
  // The value `name` refers to now, or nullptr when it refers to nothing. The pointer stays
  // valid until the References change. Asked for every name an overlay does not hold, so it
  // should turn down the names it cannot hold at once.
  virtual const std::string* Find(std::string_view name) const = 0;
};

class Variables {
 public:
  Variables() = default;
  // An empty overlay on `parent` (may be null) that also looks names up in `references` (may be
  // null).
  explicit Variables(std::shared_ptr<const Variables> parent,
                     std::shared_ptr<const References> references = nullptr);

  void Set(std::string_view name, std::string value);
  // nullptr when unknown.
  const std::string* Find(std::string_view name) const;
  // Calls visit(name, value) for each stored name once, with its latest value, in first-set
  // order across the overlay and its parents.
  void ForEach(const std::function<void(const std::string&, const std::string&)>& visit) const;
  // Calls visit(name, value) for each name this layer stores itself, in first-set order: for an
  // overlay, the names it adds and those it shadows, with its values; never the parent's.
  void ForEachOwn(const std::function<void(const std::string&, const std::string&)>& visit) const;
  // How many names ForEach visits.
  std::size_t size() const;

 private:
  // This layer's entries only.
  const std::string* FindOwn(std::string_view name) const;
  // Stored in this layer or a parent; References are not consulted.
  const std::string* FindStored(std::string_view name) const;

  std::shared_ptr<const Variables> parent_;
  std::shared_ptr<const References> references_;
  std::vector<std::pair<std::string, std::string>> entries_;
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> index_;
};

// NAME = [A-Za-z_][A-Za-z0-9_]*: what $NAME, a named param and a dotenv key may be.
bool IsNameStart(char c);
bool IsNameChar(char c);
bool IsVariableName(std::string_view name);

// The variables as an environment for exec: "NAME=value" in first-set order. A name that an
// environment cannot hold (empty, or containing '=') is left out.
std::vector<std::string> ToEnvp(const Variables& vars);

}  // namespace weft::eval
