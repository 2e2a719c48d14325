#pragma once

// What a person sees of a run while `weft start` runs it: on a terminal, a live block of the
// running steps with elapsed times, redrawn in place; otherwise (or with --quiet) one plain
// line per step change. At the end, a summary of every step (status, duration, exit code, the
// tail of a failing step's stderr) and the trace id.

#include <cstdio>
#include <string>

#include "engine/event_loop.h"
#include "engine/run_info.h"
#include "eval/secrets.h"

namespace weft::cli {

class TerminalView : public engine::RunObserver {
 public:
  enum class Mode { kLive, kPlain, kSilent };
  // How late a plain line may reach its file or pipe (FlushSoon).
  static constexpr int kPlainFlushDelayMs = 20;
  // Writes to `out`, with the run's secret values masked where a text may quote them (errors,
  // event values, stderr tails); weft's own words are left alone, even where a short secret
  // happens to match them. In live mode it asks `loop` for redraw ticks while steps run.
  TerminalView(std::FILE* out, Mode mode, engine::EventLoop& loop, bool color,
               eval::SecretMasker secrets = {});
  // Flushes what FlushSoon left pending.
  ~TerminalView() override;
  TerminalView(const TerminalView&) = delete;
  TerminalView& operator=(const TerminalView&) = delete;

  void OnRunStarted(const engine::RunInfo& run) override;
  void OnStepChanged(const engine::RunInfo& run, std::size_t step) override;
  // Retries, repeats, timeouts, unmet preconditions and stop signals, one line each.
  void OnStepEvent(const engine::RunInfo& run, std::size_t step,
                   const engine::StepEvent& event) override;
  void OnRunFinished(const engine::RunInfo& run) override;

 private:
  void Redraw(const engine::RunInfo& run);
  void ClearLive();
  void ScheduleTick(const engine::RunInfo& run);
  void FlushSoon();

  std::FILE* out_;
  Mode mode_;
  engine::EventLoop& loop_;
  bool color_;
  eval::SecretMasker secrets_;
  int live_lines_ = 0;  // lines of the live block currently on screen
  bool tick_scheduled_ = false;
  engine::EventLoop::TimerId flush_timer_ = 0;  // a FlushSoon pending
  bool finished_ = false;
};

// The run summary as text (also used by `weft status`), with `secrets` masked in the texts that
// may quote them: step errors and the stderr tail of a failed step.
std::string FormatSummary(const engine::RunInfo& run, bool color,
                          const eval::SecretMasker& secrets = {});

// "1.25s", "340ms", "2m05s".
std::string FormatDuration(std::int64_t ns);

// The last `max_lines` lines of a file (at most its last 4 KiB) with `secrets` masked. It
// begins after any secret that its first line would cut: no piece of one is shown unmasked.
std::string MaskedTailOfFile(const std::string& path, int max_lines,
                             const eval::SecretMasker& secrets);

}  // namespace weft::cli
