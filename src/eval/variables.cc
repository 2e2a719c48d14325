#include "eval/variables.h"

#include <utility>

namespace weft::eval {

Variables::Variables(std::shared_ptr<const Variables> parent,
                     std::shared_ptr<const References> references)
    : parent_(std::move(parent)), references_(std::move(references)) {}

void Variables::Set(std::string_view name, std::string value) {
  if (auto it = index_.find(name); it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(std::string(name), entries_.size());
  entries_.emplace_back(std::string(name), std::move(value));
}

const std::string* Variables::FindOwn(std::string_view name) const {
  if (entries_.empty()) return nullptr;
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const std::string* Variables::FindStored(std::string_view name) const {
  for (const Variables* layer = this; layer; layer = layer->parent_.get()) {
    if (const std::string* value = layer->FindOwn(name)) return value;
  }
  return nullptr;
}

const std::string* Variables::Find(std::string_view name) const {
  for (const Variables* layer = this; layer; layer = layer->parent_.get()) {
    if (const std::string* value = layer->FindOwn(name)) return value;
    if (layer->references_) {
      if (const std::string* value = layer->references_->Find(name)) return value;
    }
  }
  return nullptr;
}

void Variables::ForEach(
    const std::function<void(const std::string&, const std::string&)>& visit) const {
  std::vector<const Variables*> layers;  // this one first, the outermost parent last
  for (const Variables* layer = this; layer; layer = layer->parent_.get()) layers.push_back(layer);
  for (std::size_t i = layers.size(); i-- > 0;) {
    const Variables* below = layers[i]->parent_.get();
    for (const auto& [name, value] : layers[i]->entries_) {
      if (below && below->FindStored(name)) continue;  // first set below, visited there
      const std::string* latest = &value;
      for (std::size_t above = 0; above < i; ++above) {
        if (const std::string* shadow = layers[above]->FindOwn(name)) {
          latest = shadow;
          break;
        }
      }
      visit(name, *latest);
    }
  }
}

void Variables::ForEachOwn(
    const std::function<void(const std::string&, const std::string&)>& visit) const {
  for (const auto& [name, value] : entries_) visit(name, value);
}

std::size_t Variables::size() const {
  std::size_t count = parent_ ? parent_->size() : 0;
  for (const auto& [name, value] : entries_) {
    if (!parent_ || !parent_->FindStored(name)) ++count;
  }
  return count;
}

bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool IsVariableName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::vector<std::string> ToEnvp(const Variables& vars) {
  std::vector<std::string> envp;
  envp.reserve(vars.size());
  vars.ForEach([&envp](const std::string& name, const std::string& value) {
    if (name.empty() || name.find('=') != std::string::npos) return;
    envp.push_back(name + "=" + value);
  });
  return envp;
}

}  // namespace weft::eval
