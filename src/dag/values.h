#pragma once

// The syntax of scalar values in a DAG file: YAML booleans and numbers, durations, cron
// schedules, signal names and variable names. Pure functions, so each rule is tested alone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::dag {

// YAML 1.1 booleans as yaml-cpp and Dagu read them: true/false, yes/no, on/off, y/n, each in
// lower, Title or UPPER case.
std::optional<bool> ParseBool(std::string_view text);

// A decimal integer with an optional sign; nullopt when anything else is in the text or it
// does not fit.
std::optional<std::int64_t> ParseInteger(std::string_view text);

// A decimal number (integer, fraction or exponent); nullopt for anything else, including
// inf and nan.
std::optional<double> ParseNumber(std::string_view text);

// A Go-style duration ("30s", "500ms", "1m30s", "1.5h") or a plain number of seconds.
bool IsDuration(std::string_view text);

// Why `expression` is not a schedule, or "" when it is one: five cron fields (minute hour
// day-of-month month day-of-week) with `*`, ranges, steps, lists and month/day names,
// optionally after `CRON_TZ=Zone `, or a descriptor such as `@daily` or `@every 5m`.
std::string CronError(std::string_view expression);

// "SIGTERM" for "SIGTERM", "TERM", "sigterm" or "term"; nullopt for an unknown signal.
std::optional<std::string> CanonicalSignal(std::string_view name);

// A shell variable name: a letter or `_`, then letters, digits and `_`.
bool IsIdentifier(std::string_view text);

// True when the text holds `$` or a backtick, i.e. it can only be checked once it is expanded
// at run time.
bool IsExpandedAtRunTime(std::string_view text);

}  // namespace weft::dag
