#include "cli/terminal_view.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include "os/unique_fd.h"

namespace weft::cli {
namespace {

using engine::Status;

const char* Colour(Status status) {
  switch (status) {
    case Status::kSucceeded:
      return "\033[32m";
    case Status::kFailed:
      return "\033[31m";
    case Status::kPartiallySucceeded:
    case Status::kAborted:
      return "\033[33m";
    case Status::kRunning:
      return "\033[36m";
    default:
      return "\033[2m";
  }
}

const char* Mark(Status status) {
  switch (status) {
    case Status::kSucceeded:
      return "ok";
    case Status::kFailed:
      return "!!";
    case Status::kRunning:
      return "..";
    case Status::kSkipped:
      return "--";
    case Status::kAborted:
      return "xx";
    default:
      return "  ";
  }
}

std::string Painted(Status status, std::string_view text, bool color) {
  if (!color) return std::string(text);
  return fmt::format("{}{}\033[0m", Colour(status), text);
}

std::string StepLabel(const engine::StepState& state) { return state.step->name; }

constexpr int kTickMs = 100;

}  // namespace

std::string FormatDuration(std::int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns < 1'000'000'000) return fmt::format("{}ms", ns / 1'000'000);
  if (ns < 60'000'000'000) return fmt::format("{:.2f}s", static_cast<double>(ns) / 1e9);
  std::int64_t s = ns / 1'000'000'000;
  return fmt::format("{}m{:02}s", s / 60, s % 60);
}

std::string MaskedTailOfFile(const std::string& path, int max_lines,
                             const eval::SecretMasker& secrets) {
  constexpr off_t kShownBytes = 4096;
  const os::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  const off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size <= 0) return "";
  // Read room for the longest secret before the bytes that may be shown, so that a secret the
  // shown part would begin inside of is read whole, and found.
  const auto margin = static_cast<off_t>(secrets.longest());
  const off_t start = std::max<off_t>(0, size - kShownBytes - margin);
  std::string data(static_cast<std::size_t>(size - start), '\0');
  const ssize_t n = pread(fd.get(), data.data(), data.size(), start);
  data.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) data.pop_back();
  std::size_t pos = data.size();
  for (int lines = 0; lines < max_lines && pos != std::string::npos && pos > 0; ++lines) {
    pos = data.rfind('\n', pos - 1);
  }
  std::size_t from = pos == std::string::npos || pos == 0 ? 0 : pos + 1;
  if (start > 0) from = std::max(from, std::min(data.size(), static_cast<std::size_t>(margin)));
  if (const std::size_t after = secrets.CutAfterValuesSpanning(data, from); after != from) {
    from = after < data.size() && data[after] == '\n' ? after + 1 : after;
  }
  return secrets.Mask(std::string_view(data).substr(from));
}

std::string FormatSummary(const engine::RunInfo& run, bool color,
                          const eval::SecretMasker& secrets) {
  std::string out;
  std::size_t width = 4;
  for (const auto& s : run.steps) width = std::max(width, StepLabel(s).size());
  width = std::min<std::size_t>(width, 40);
  out += fmt::format("{} {}  run {}  {}\n", color ? "\033[1mDAG\033[0m" : "DAG", run.dag->name,
                     run.run_id,
                     Painted(run.status,
                             fmt::format("{} in {}", engine::ToString(run.status),
                                         FormatDuration(run.finished_at_ns - run.started_at_ns)),
                             color));
  for (const auto& s : run.steps) {
    std::string duration = s.finished_at_ns > 0 && s.started_at_ns > 0
                               ? FormatDuration(s.finished_at_ns - s.started_at_ns)
                               : "";
    std::string exit = s.exit_code >= 0 ? fmt::format("exit {}", s.exit_code) : "";
    if (s.retry_count > 0) {
      exit += fmt::format(" after {} {}", s.retry_count, s.retry_count == 1 ? "retry" : "retries");
    }
    std::string line = fmt::format("  {} {:<{}}  {:<19} {:>8}  {:<8}", Mark(s.status), StepLabel(s),
                                   width, engine::ToString(s.status), duration, exit);
    if (!s.error.empty() && s.status != Status::kSucceeded) line += "  " + secrets.Mask(s.error);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += Painted(s.status, line, color) + "\n";
    if (s.status == Status::kFailed) {
      // Masked whole, before the lines are indented: a secret may span lines (a key file).
      std::string tail = MaskedTailOfFile(s.stderr_file, 5, secrets);
      if (!tail.empty()) {
        out += "      stderr:\n";
        std::size_t start = 0;
        while (start <= tail.size()) {
          std::size_t end = tail.find('\n', start);
          if (end == std::string::npos) end = tail.size();
          out += "      | " + tail.substr(start, end - start) + "\n";
          start = end + 1;
        }
      }
    }
  }
  if (!run.trace_id.empty()) {
    out += fmt::format("trace {}  (weft trace {} --run-id {})\n", run.trace_id, run.dag->name,
                       run.run_id);
  }
  return out;
}

TerminalView::TerminalView(std::FILE* out, Mode mode, engine::EventLoop& loop, bool color,
                           eval::SecretMasker secrets)
    : out_(out), mode_(mode), loop_(loop), color_(color), secrets_(std::move(secrets)) {}

TerminalView::~TerminalView() {
  if (flush_timer_ != 0) loop_.CancelTimer(flush_timer_);
  std::fflush(out_);
}

void TerminalView::OnRunStarted(const engine::RunInfo& run) {
  if (mode_ == Mode::kSilent) return;
  fmt::print(out_, "{} {} (run {})\n", color_ ? "\033[1mstarting\033[0m" : "starting",
             run.dag->name, run.run_id);
  std::fflush(out_);
}

void TerminalView::OnStepChanged(const engine::RunInfo& run, std::size_t step) {
  if (mode_ == Mode::kSilent) return;
  const auto& s = run.steps[step];
  if (mode_ == Mode::kLive) ClearLive();
  // A step running again after a retry was announced by its event line.
  bool rerun = s.status == Status::kRunning && s.retry_count > 0;
  if ((mode_ == Mode::kPlain && !rerun) || engine::IsFinal(s.status)) {
    std::string detail;
    if (engine::IsFinal(s.status) && s.finished_at_ns > 0) {
      detail = " " + FormatDuration(s.finished_at_ns - s.started_at_ns);
      if (s.exit_code >= 0) detail += fmt::format(" exit {}", s.exit_code);
      if (!s.error.empty() && s.status != Status::kSucceeded) {
        detail += " (" + secrets_.Mask(s.error) + ")";
      }
    }
    std::string line =
        fmt::format("step {}: {}{}", StepLabel(s), engine::ToString(s.status), detail);
    fmt::print(out_, "{}\n", mode_ == Mode::kLive ? Painted(s.status, line, color_) : line);
  }
  if (mode_ == Mode::kLive) {
    Redraw(run);
    ScheduleTick(run);
  }
  FlushSoon();
}

void TerminalView::OnStepEvent(const engine::RunInfo& run, std::size_t step,
                               const engine::StepEvent& event) {
  if (mode_ == Mode::kSilent) return;
  if (mode_ == Mode::kLive) ClearLive();
  std::string line = fmt::format("step {}: {}", StepLabel(run.steps[step]), event.name);
  for (const auto& [key, value] : event.attributes) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      line += fmt::format(" {}={}", key, secrets_.Mask(*text));
    } else {
      std::visit([&](const auto& v) { line += fmt::format(" {}={}", key, v); }, value);
    }
  }
  fmt::print(out_, "{}\n", line);
  if (mode_ == Mode::kLive) Redraw(run);
  FlushSoon();
}

// Plain lines go to a file or a pipe: they are flushed together kPlainFlushDelayMs after the first
// of them rather than with a write(2) each, two per step, which on the engine's thread cost more
// than formatting them. The run's end flushes at once; the live block is redrawn at once.
void TerminalView::FlushSoon() {
  if (mode_ != Mode::kPlain) {
    std::fflush(out_);
    return;
  }
  if (flush_timer_ != 0) return;
  flush_timer_ = loop_.AddTimer(kPlainFlushDelayMs * 1'000'000LL, [this] {
    flush_timer_ = 0;
    std::fflush(out_);
  });
}

void TerminalView::ScheduleTick(const engine::RunInfo& run) {
  if (tick_scheduled_ || finished_) return;
  tick_scheduled_ = true;
  loop_.AddTimer(kTickMs * 1'000'000LL, [this, &run] {
    tick_scheduled_ = false;
    if (finished_) return;
    Redraw(run);
    ScheduleTick(run);
  });
}

void TerminalView::ClearLive() {
  for (; live_lines_ > 0; --live_lines_) fmt::print(out_, "\033[1A\033[2K");
}

void TerminalView::Redraw(const engine::RunInfo& run) {
  ClearLive();
  std::int64_t now = engine::EventLoop::UnixNs();
  std::size_t done = 0;
  std::string block;
  int lines = 0;
  int shown = 0;
  std::size_t running = 0;
  for (const auto& s : run.steps) {
    if (engine::IsFinal(s.status)) ++done;
    if (s.status != Status::kRunning) continue;
    ++running;
    if (shown < 10) {
      block += fmt::format("  {} {}  {}\n", Painted(Status::kRunning, "..", color_), StepLabel(s),
                           FormatDuration(now - s.started_at_ns));
      ++lines;
      ++shown;
    }
  }
  if (running > static_cast<std::size_t>(shown)) {
    block += fmt::format("  ... and {} more running\n", running - shown);
    ++lines;
  }
  block += fmt::format("  {}/{} steps done, {} running, {} elapsed\n", done, run.steps.size(),
                       running, FormatDuration(now - run.started_at_ns));
  ++lines;
  fmt::print(out_, "{}", block);
  std::fflush(out_);
  live_lines_ = lines;
}

void TerminalView::OnRunFinished(const engine::RunInfo& run) {
  finished_ = true;
  if (mode_ == Mode::kSilent) return;
  if (mode_ == Mode::kLive) ClearLive();
  fmt::print(out_, "{}", FormatSummary(run, color_, secrets_));
  std::fflush(out_);
}

}  // namespace weft::cli
