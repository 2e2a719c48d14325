#include "eval/items.h"

#include <nlohmann/json.hpp>

namespace weft::eval {
namespace {

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  auto begin = s.find_first_not_of(ws);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(ws) - begin + 1);
}

}  // namespace

std::vector<std::string> SplitItems(std::string_view text) {
  std::vector<std::string> items;
  std::string_view trimmed = Trim(text);
  if (!trimmed.empty() && trimmed.front() == '[') {
    auto array = nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
    if (array.is_array()) {
      for (const auto& element : array) {
        items.push_back(element.is_string() ? element.get<std::string>() : element.dump());
      }
      return items;
    }
  }
  char separator = trimmed.find('\n') != std::string_view::npos ? '\n' : ',';
  while (!trimmed.empty()) {
    auto end = trimmed.find(separator);
    std::string_view item = Trim(trimmed.substr(0, end));
    if (!item.empty()) items.emplace_back(item);
    if (end == std::string_view::npos) break;
    trimmed.remove_prefix(end + 1);
  }
  return items;
}

}  // namespace weft::eval
