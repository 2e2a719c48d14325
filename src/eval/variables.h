#pragma once

// Variables: an ordered set of NAME -> value where a later Set of the same name wins. It is the
// scope in which ${NAME} is expanded and the source of a step's exported environment.

#include <string>
#include <string_view>
#include <unordered_map>
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
  std::vector<std::pair<std::string, std::string>> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace weft::eval
