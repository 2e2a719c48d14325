#include "eval/variables.h"

#include <utility>

namespace weft::eval {

void Variables::Set(std::string_view name, std::string value) {
  auto [it, inserted] = index_.try_emplace(std::string(name), entries_.size());
  if (inserted) {
    entries_.emplace_back(it->first, std::move(value));
  } else {
    entries_[it->second].second = std::move(value);
  }
}

const std::string* Variables::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

}  // namespace weft::eval
