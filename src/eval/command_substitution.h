#pragma once

// Command substitution (§2.4): backticks in `env` values and param defaults run a command
// through `sh -c` and stand for its trimmed stdout.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eval/variables.h"

namespace weft::eval {

struct CommandOptions {
  // The whole process group is killed when the command outlives this.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  // More stdout than this is an error (the command is killed): a value is not a data channel.
  std::size_t max_output_bytes = 1024 * 1024;
  // Where the command runs; "" = weft's current directory.
  std::string working_dir;
};

// Runs `/bin/sh -c command` with stdin from /dev/null, environment `env` ("NAME=value") and its
// own process group, and returns its stdout without leading and trailing whitespace. Returns
// nullopt and sets *error, naming the command, when it cannot start, exits non-zero or by a
// signal (stderr's first line is quoted), writes too much, or times out. Waits for stdout to
// close, as the shell's own `...` does, so a background child holding it open counts against
// the timeout. Never leaves a process of the group running after an error.
std::optional<std::string> RunForOutput(const std::string& command,
                                        const std::vector<std::string>& env,
                                        const CommandOptions& options, std::string* error);

// A stretch of text that is either literal or the command between a pair of backticks.
struct TextPiece {
  std::string text;
  bool is_command = false;
};

// Splits `text` at backticks. `\`` is a literal backtick (in a literal piece or inside a
// command); any other backslash pair is kept as written for the expansion that follows. An
// unclosed backtick is an error.
std::optional<std::vector<TextPiece>> SplitCommands(std::string_view text, std::string* error);

// Evaluates an env value or param default: commands between backticks run with `vars` as their
// environment and give their trimmed output, and the text outside them is expanded (§2.4) with
// `vars`. Command text is not expanded by weft (the shell reads `$X` from the environment), and
// neither command output nor expanded values are looked at again, so a value that holds
// backticks is never run. The process is spawned only when there are backticks.
std::optional<std::string> EvaluateValue(std::string_view text, const Variables& vars,
                                         const CommandOptions& options, std::string* error);

}  // namespace weft::eval
