#include "eval/variables.h"

#include <utility>

namespace weft::eval {

void Variables::Set(std::string_view name, std::string value) {
  if (auto it = index_.find(name); it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(std::string(name), entries_.size());
  entries_.emplace_back(std::string(name), std::move(value));
}

const std::string* Variables::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
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
  for (const auto& [name, value] : vars.entries()) {
    if (name.empty() || name.find('=') != std::string::npos) continue;
    envp.push_back(name + "=" + value);
  }
  return envp;
}

}  // namespace weft::eval
