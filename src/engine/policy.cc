#include "engine/policy.h"

#include <charconv>
#include <cmath>

#include "eval/expand.h"

namespace weft::engine {
namespace {

// A non-negative number, from text already expanded.
std::optional<double> ParseNumber(const std::string& field, const std::string& text,
                                  std::string* error) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      !std::isfinite(value)) {
    *error = field + ": \"" + text + "\" is not a non-negative number";
    return std::nullopt;
  }
  return value;
}

std::optional<int> ParseCount(const std::string& field, const std::string& written,
                              const eval::Variables& vars, std::string* error) {
  std::string text = eval::Expand(written, vars);
  std::optional<double> value = ParseNumber(field, text, error);
  if (!value) return std::nullopt;
  if (*value != std::floor(*value) || *value > 1'000'000) {
    *error = field + ": \"" + text + "\" is not a whole number up to 1000000";
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<Backoff> ParseBackoff(const std::string& policy, const std::string& interval,
                                    const std::string& backoff, const std::string& max_interval,
                                    const eval::Variables& vars, std::string* error) {
  Backoff out;
  auto seconds = ParseNumber(policy + ".interval_sec", eval::Expand(interval, vars), error);
  if (!seconds) return std::nullopt;
  out.interval_sec = *seconds;
  std::string factor = eval::Expand(backoff, vars);
  if (factor == "true") {
    out.factor = 2;
  } else if (!factor.empty() && factor != "false") {
    auto value = ParseNumber(policy + ".backoff", factor, error);
    if (!value) return std::nullopt;
    if (*value < 1) {
      *error =
          policy + ".backoff: \"" + factor + "\" must be true, false or a factor of at least 1";
      return std::nullopt;
    }
    out.factor = *value;
  }
  if (!max_interval.empty()) {
    auto cap = ParseNumber(policy + ".max_interval_sec", eval::Expand(max_interval, vars), error);
    if (!cap) return std::nullopt;
    out.max_interval_sec = *cap;
  }
  return out;
}

}  // namespace

std::int64_t Backoff::DelayNs(int attempt) const {
  double seconds = interval_sec * std::pow(factor, std::max(0, attempt - 1));
  if (max_interval_sec > 0) seconds = std::min(seconds, max_interval_sec);
  seconds = std::min(seconds, 365.0 * 24 * 3600);  // keeps the conversion in range
  return static_cast<std::int64_t>(seconds * 1e9);
}

std::optional<RetryRule> ResolveRetry(const dag::RetryPolicy& policy, const eval::Variables& vars,
                                      std::string* error) {
  RetryRule rule;
  auto limit = ParseCount("retry_policy.limit", policy.limit, vars, error);
  if (!limit) return std::nullopt;
  rule.limit = *limit;
  auto backoff = ParseBackoff("retry_policy", policy.interval_sec, policy.backoff,
                              policy.max_interval_sec, vars, error);
  if (!backoff) return std::nullopt;
  rule.backoff = *backoff;
  return rule;
}

std::optional<RepeatRule> ResolveRepeat(const dag::RepeatPolicy& policy,
                                        const eval::Variables& vars, std::string* error) {
  RepeatRule rule;
  if (!policy.limit.empty()) {
    auto limit = ParseCount("repeat_policy.limit", policy.limit, vars, error);
    if (!limit) return std::nullopt;
    rule.limit = *limit;
  }
  auto backoff = ParseBackoff("repeat_policy", policy.interval_sec, policy.backoff,
                              policy.max_interval_sec, vars, error);
  if (!backoff) return std::nullopt;
  rule.backoff = *backoff;
  return rule;
}

}  // namespace weft::engine
