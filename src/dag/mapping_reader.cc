#include "dag/mapping_reader.h"

#include <limits>
#include <utility>

#include "dag/values.h"

namespace weft::dag {
namespace {

constexpr std::size_t kQuoteLimit = 40;

std::string KnownKeysHint(Section section) {
  std::string hint = "known keys here:";
  std::string_view last_canonical;
  for (std::string_view spelling : SpellingsOf(section)) {
    const KeyInfo* key = FindKey(section, spelling);
    if (key->ignored || key->canonical == last_canonical) continue;
    last_canonical = key->canonical;
    hint += " ";
    hint += key->canonical;
  }
  return hint;
}

}  // namespace

std::string Quote(const YamlNode& scalar) {
  if (scalar.text.size() <= kQuoteLimit) return "`" + scalar.text + "`";
  return "`" + scalar.text.substr(0, kQuoteLimit) + "...`";
}

std::string MustBe(std::string_view key, std::string_view expected, const YamlNode& value) {
  return "`" + std::string(key) + "` must be " + std::string(expected) + ", not " +
         (value.is_scalar() ? Quote(value) : std::string(value.Describe()));
}

std::optional<std::string> ReadText(const YamlNode& value, std::string_view key,
                                    DiagnosticLog& log) {
  if (value.is_scalar()) return value.text;
  log.Error(value.where, key, MustBe(key, "a string", value));
  return std::nullopt;
}

std::optional<bool> ReadBool(const YamlNode& value, std::string_view key, DiagnosticLog& log) {
  if (value.is_scalar()) {
    if (const auto parsed = ParseBool(value.text)) return parsed;
  }
  log.Error(value.where, key, MustBe(key, "true or false", value));
  return std::nullopt;
}

std::optional<std::int64_t> ReadInteger(const YamlNode& value, std::string_view key,
                                        std::int64_t min, std::int64_t max, DiagnosticLog& log) {
  const bool unbounded =
      max == std::numeric_limits<int>::max() || max == std::numeric_limits<std::int64_t>::max();
  const std::string expected = "a whole number" + (unbounded ? " of at least " + std::to_string(min)
                                                             : " from " + std::to_string(min) +
                                                                   " to " + std::to_string(max));
  if (!value.is_scalar()) {
    log.Error(value.where, key, MustBe(key, expected, value));
    return std::nullopt;
  }
  const auto parsed = ParseInteger(value.text);
  if (!parsed || *parsed < min || *parsed > max) {
    log.Error(value.where, key, MustBe(key, expected, value));
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::vector<std::string>> ReadTextList(const YamlNode& value, std::string_view key,
                                                     DiagnosticLog& log) {
  if (value.is_scalar()) return std::vector<std::string>{value.text};
  if (!value.is_sequence()) {
    log.Error(value.where, key, MustBe(key, "a string or a list of strings", value));
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (const YamlNode* item : value.children) {
    if (item->is_scalar()) {
      items.push_back(item->text);
    } else {
      log.Error(item->where, key,
                "each item of `" + std::string(key) + "` must be a string, not " +
                    std::string(item->Describe()));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<std::vector<int>> ReadIntegerList(const YamlNode& value, std::string_view key,
                                                int min, int max, DiagnosticLog& log) {
  const YamlNode* const node = &value;
  std::vector<int> numbers;
  bool ok = true;
  for (const YamlNode* item : ItemsOrOne(node)) {
    if (const auto number = ReadInteger(*item, key, min, max, log)) {
      numbers.push_back(static_cast<int>(*number));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return numbers;
}

MappingReader::MappingReader(const YamlNode& mapping, Section section, DiagnosticLog& log)
    : mapping_(mapping), log_(log) {
  entries_.reserve(mapping.size());
  for (std::size_t i = 0; i < mapping.size(); ++i) {
    const YamlNode& key = mapping.key(i);
    if (!key.is_scalar()) {
      log_.Error(key.where, "",
                 "a key in " + std::string(SectionName(section)) + " must be a string, not " +
                     std::string(key.Describe()));
      continue;
    }
    const KeyInfo* info = FindKey(section, key.text);
    if (info == nullptr) {
      const std::string_view nearest = SuggestKey(section, key.text);
      log_.Error(key.where, key.text,
                 "unknown key `" + key.text + "` in " + std::string(SectionName(section)),
                 nearest.empty() ? KnownKeysHint(section)
                                 : "did you mean `" + std::string(nearest) + "`?");
      continue;
    }
    if (info->ignored) {
      log_.Warning(key.where, key.text,
                   "`" + key.text + "` is a Dagu key that weft does not act on; it is ignored",
                   "remove it to silence this warning");
      continue;
    }
    if (const Entry* first = FindEntry(info->canonical)) {
      log_.Error(
          key.where, key.text,
          "`" + first->key->text + "` and `" + key.text + "` are two spellings of the same key",
          "keep one of them");
      continue;
    }
    entries_.push_back({info->canonical, &key, &mapping.value(i)});
  }
}

const MappingReader::Entry* MappingReader::FindEntry(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.canonical == key) return &entry;
  }
  return nullptr;
}

const YamlNode* MappingReader::Find(std::string_view key) const {
  const Entry* entry = FindEntry(key);
  if (entry == nullptr || entry->value->is_null()) return nullptr;
  return entry->value;
}

bool MappingReader::Written(std::string_view key) const { return FindEntry(key) != nullptr; }

std::string_view MappingReader::Spelling(std::string_view key) const {
  const Entry* entry = FindEntry(key);
  return entry == nullptr ? key : std::string_view(entry->key->text);
}

Location MappingReader::KeyWhere(std::string_view key) const {
  const Entry* entry = FindEntry(key);
  return entry == nullptr ? mapping_.where : entry->key->where;
}

std::vector<std::string_view> MappingReader::Keys() const {
  std::vector<std::string_view> keys;
  keys.reserve(entries_.size());
  for (const Entry& entry : entries_) keys.push_back(entry.canonical);
  return keys;
}

bool MappingReader::Read(std::string_view key, std::string* out) const {
  const YamlNode* value = Find(key);
  if (value == nullptr) return false;
  auto text = ReadText(*value, Spelling(key), log_);
  if (!text) return false;
  *out = std::move(*text);
  return true;
}

bool MappingReader::Read(std::string_view key, std::optional<std::string>* out) const {
  std::string text;
  if (!Read(key, &text)) return false;
  *out = std::move(text);
  return true;
}

bool MappingReader::Read(std::string_view key, bool* out) const {
  const YamlNode* value = Find(key);
  if (value == nullptr) return false;
  const auto parsed = ReadBool(*value, Spelling(key), log_);
  if (!parsed) return false;
  *out = *parsed;
  return true;
}

bool MappingReader::Read(std::string_view key, std::optional<bool>* out) const {
  bool value = false;
  if (!Read(key, &value)) return false;
  *out = value;
  return true;
}

bool MappingReader::Read(std::string_view key, std::vector<std::string>* out) const {
  const YamlNode* value = Find(key);
  if (value == nullptr) return false;
  auto items = ReadTextList(*value, Spelling(key), log_);
  if (!items) return false;
  *out = std::move(*items);
  return true;
}

bool MappingReader::ReadCount(std::string_view key, int* out, int min) const {
  const YamlNode* value = Find(key);
  if (value == nullptr) return false;
  const auto number =
      ReadInteger(*value, Spelling(key), min, std::numeric_limits<int>::max(), log_);
  if (!number) return false;
  *out = static_cast<int>(*number);
  return true;
}

void MappingReader::Error(std::string_view key, std::string message, std::string hint) const {
  const YamlNode* value = Find(key);
  const Location where =
      value != nullptr ? value->where : (Written(key) ? KeyWhere(key) : mapping_.where);
  log_.Error(where, Spelling(key), std::move(message), std::move(hint));
}

}  // namespace weft::dag
