#include "process/environment.h"

#include <utility>

namespace weft::process {
namespace {

std::string_view NameOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

SharedEnvironment::SharedEnvironment(std::vector<std::string> entries) {
  // With the capacity reserved, no string moves once placed, so the index can hold views of
  // the names inside entries_.
  entries_.reserve(entries.size());
  for (std::string& entry : entries) {
    auto known = index_.find(NameOf(entry));
    if (known == index_.end()) {
      entries_.push_back(std::move(entry));
      index_.emplace(NameOf(entries_.back()), entries_.size() - 1);
      continue;
    }
    const std::size_t position = known->second;
    index_.erase(known);  // its key views the text about to be replaced
    entries_[position] = std::move(entry);
    index_.emplace(NameOf(entries_[position]), position);
  }
  pointers_.reserve(entries_.size());
  for (const std::string& entry : entries_) pointers_.push_back(entry.c_str());
}

Environment::Environment() : pointers_{nullptr} {}

Environment::Environment(std::shared_ptr<const SharedEnvironment> shared)
    : shared_(std::move(shared)) {
  pointers_.reserve(shared_->pointers_.size() + 8);
  pointers_.assign(shared_->pointers_.begin(), shared_->pointers_.end());
  pointers_.push_back(nullptr);
}

void Environment::Set(std::string_view name, std::string_view value) {
  std::string entry;
  entry.reserve(name.size() + 1 + value.size());
  entry.append(name).append(1, '=').append(value);
  // An entry set before stays in own_ (unused): own_index_'s key may be a view of its name.
  own_.push_back(std::move(entry));
  const char* text = own_.back().c_str();
  if (auto own = own_index_.find(name); own != own_index_.end()) {
    pointers_[own->second] = text;
    return;
  }
  std::size_t position = pointers_.size() - 1;
  if (shared_) {
    if (auto shared = shared_->index_.find(name); shared != shared_->index_.end()) {
      position = shared->second;
    }
  }
  if (position == pointers_.size() - 1) pointers_.push_back(nullptr);
  pointers_[position] = text;
  own_index_.emplace(NameOf(own_.back()), position);
}

std::optional<std::string_view> Environment::Find(std::string_view name) const {
  std::optional<std::size_t> position;
  if (auto own = own_index_.find(name); own != own_index_.end()) {
    position = own->second;
  } else if (shared_) {
    if (auto shared = shared_->index_.find(name); shared != shared_->index_.end()) {
      position = shared->second;
    }
  }
  if (!position) return std::nullopt;
  std::string_view entry = pointers_[*position];
  std::size_t equals = entry.find('=');
  return equals == std::string_view::npos ? std::string_view() : entry.substr(equals + 1);
}

std::vector<std::string> Environment::Entries() const {
  return {pointers_.begin(), pointers_.end() - 1};
}

}  // namespace weft::process
