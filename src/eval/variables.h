#pragma once

// Variables: an ordered set of NAME -> value where a later Set of the same name wins. It is the
// scope in which ${NAME} is expanded and the source of a step's exported environment. Set and
// Find are O(1) on average; a copy is O(size()).

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace weft::eval {

class Variables {
 public:
  void Set(std::string_view name, std::string value);
  // nullptr when unknown.
  const std::string* Find(std::string_view name) const;
  // In first-set order, each name once with its latest value.
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  std::size_t size() const { return entries_.size(); }

 private:
  // Lets Find look up a string_view without building a std::string.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
      return std::hash<std::string_view>{}(name);
    }
  };

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
