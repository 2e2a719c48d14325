#include "dag/values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

namespace weft::dag {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

struct CronField {
  std::string_view name;
  int min;
  int max;
  const std::array<std::string_view, 12>* names;  // index + names_base = value
  int names_base;
  bool allows_question_mark;  // `?` = no specific value, in the day fields
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI",
                                                        "SAT", "",    "",    "",    "",    ""};

constexpr std::array<CronField, 5> kCronFields = {{
    {"minute", 0, 59, nullptr, 0, false},
    {"hour", 0, 23, nullptr, 0, false},
    {"day of month", 1, 31, nullptr, 0, true},
    {"month", 1, 12, &kMonthNames, 1, false},
    {"day of week", 0, 7, &kDayNames, 0, true},
}};

std::optional<int> CronValue(std::string_view text, const CronField& field) {
  if (const auto number = ParseInteger(text); number && text[0] != '-' && text[0] != '+') {
    return static_cast<int>(std::clamp<std::int64_t>(*number, -1, 1000));
  }
  if (field.names == nullptr) return std::nullopt;
  const std::string upper = Upper(text);
  for (std::size_t i = 0; i < field.names->size(); ++i) {
    if (!(*field.names)[i].empty() && (*field.names)[i] == upper) {
      return static_cast<int>(i) + field.names_base;
    }
  }
  return std::nullopt;
}

std::string CronFieldError(std::string_view text, const CronField& field) {
  const std::string where = "the " + std::string(field.name) + " field `" + std::string(text) + "`";
  for (std::string_view item : Split(text, ',')) {
    std::string_view range = item;
    if (const std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const auto step = ParseInteger(item.substr(slash + 1));
      if (!step || *step <= 0 || item[slash + 1] == '+') {
        return where + " has a step that is not a positive number";
      }
    }
    if (range == "*" || (range == "?" && field.allows_question_mark)) continue;
    const std::size_t dash = range.find('-');
    const std::string_view low_text = range.substr(0, dash);
    const std::string_view high_text =
        dash == std::string_view::npos ? low_text : range.substr(dash + 1);
    const auto low = CronValue(low_text, field);
    const auto high = CronValue(high_text, field);
    if (low_text.empty() || high_text.empty() || !low || !high) {
      return where + " is not a number, range, `*` or list of them";
    }
    if (*low < field.min || *high > field.max) {
      return where + " is out of range " + std::to_string(field.min) + "-" +
             std::to_string(field.max);
    }
    if (*low > *high) return where + " has a range that ends before it starts";
  }
  return "";
}

constexpr std::array<std::string_view, 7> kCronDescriptors = {
    "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"};

constexpr std::array<std::string_view, 31> kSignals = {
    "HUP",  "INT",  "QUIT", "ILL",    "TRAP",   "ABRT",  "BUS",  "FPE",  "KILL", "USR1", "SEGV",
    "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD",  "CONT", "STOP", "TSTP", "TTIN", "TTOU",
    "URG",  "XCPU", "XFSZ", "VTALRM", "PROF",   "WINCH", "IO",   "PWR",  "SYS"};

}  // namespace

std::optional<bool> ParseBool(std::string_view text) {
  static constexpr std::array<std::string_view, 11> kTrue = {
      "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
  static constexpr std::array<std::string_view, 11> kFalse = {
      "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"};
  if (std::find(kTrue.begin(), kTrue.end(), text) != kTrue.end()) return true;
  if (std::find(kFalse.begin(), kFalse.end(), text) != kFalse.end()) return false;
  return std::nullopt;
}

std::optional<std::int64_t> ParseInteger(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  if (digits.empty() || digits[0] == '+') return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseNumber(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  // from_chars would take "inf", "nan" and hex floats; a number here starts with a digit,
  // a sign or a point.
  if (digits.empty() || !(IsDigit(digits[0]) || digits[0] == '-' || digits[0] == '.')) {
    return std::nullopt;
  }
  double value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

bool IsDuration(std::string_view text) {
  if (const auto seconds = ParseNumber(text)) return *seconds >= 0;
  if (text.empty()) return false;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t number_start = i;
    bool has_digit = false;
    while (i < text.size() && (IsDigit(text[i]) || text[i] == '.')) {
      has_digit = has_digit || IsDigit(text[i]);
      ++i;
    }
    if (!has_digit || !ParseNumber(text.substr(number_start, i - number_start))) return false;
    const std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit != "ns" && unit != "us" && unit != "ms" && unit != "s" && unit != "m" && unit != "h") {
      return false;
    }
  }
  return true;
}

std::string CronError(std::string_view expression) {
  std::vector<std::string_view> words = SplitWhitespace(expression);
  if (!words.empty() && (words[0].starts_with("CRON_TZ=") || words[0].starts_with("TZ="))) {
    if (words[0].substr(words[0].find('=') + 1).empty()) return "the time zone after `=` is empty";
    words.erase(words.begin());
  }
  if (words.empty()) return "the schedule is empty";
  if (words[0].starts_with('@')) {
    if (words[0] == "@every") {
      if (words.size() == 2 && IsDuration(words[1]) && !ParseNumber(words[1])) return "";
      return "`@every` needs one duration with a unit, e.g. `@every 5m`";
    }
    const bool known = std::find(kCronDescriptors.begin(), kCronDescriptors.end(), words[0]) !=
                       kCronDescriptors.end();
    if (!known || words.size() != 1) {
      return "`" + std::string(words[0]) +
             "` is not a schedule descriptor (@yearly, @monthly, @weekly, @daily, @hourly, "
             "@every <duration>)";
    }
    return "";
  }
  if (words.size() != kCronFields.size()) {
    return "a cron schedule has 5 fields (minute hour day-of-month month day-of-week), not " +
           std::to_string(words.size());
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (std::string error = CronFieldError(words[i], kCronFields[i]); !error.empty()) {
      return error;
    }
  }
  return "";
}

std::optional<std::string> CanonicalSignal(std::string_view name) {
  std::string upper = Upper(name);
  if (upper.starts_with("SIG")) upper.erase(0, 3);
  if (std::find(kSignals.begin(), kSignals.end(), upper) == kSignals.end()) return std::nullopt;
  return "SIG" + upper;
}

bool IsIdentifier(std::string_view text) {
  if (text.empty() || IsDigit(text[0])) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool IsExpandedAtRunTime(std::string_view text) {
  return text.find('$') != std::string_view::npos || text.find('`') != std::string_view::npos;
}

}  // namespace weft::dag
