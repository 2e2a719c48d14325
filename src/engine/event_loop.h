#pragma once

// The single event loop that drives a run: child exits and stop signals arrive through a
// signalfd, timers (delays, retry intervals, timeouts, progress redraws) through the epoll
// timeout. Nothing polls and nothing sleeps: the thread blocks in epoll_wait until something
// happened. Not thread-safe; everything runs on the thread that calls Run().

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "os/unique_fd.h"
#include "process/spawn.h"

namespace weft::engine {

class EventLoop {
 public:
  using TimerId = std::uint64_t;
  using ChildExitHandler = std::function<void(const process::Exited&)>;
  using SignalHandler = std::function<void(int signo)>;

  // Blocks SIGCHLD, SIGINT, SIGTERM and SIGHUP in the calling thread: call it at the start of
  // main(), before any thread exists, so that no other thread can take these signals.
  static void BlockSignals();

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void OnChildExit(ChildExitHandler handler) { on_child_exit_ = std::move(handler); }
  // Hands every child that has exited to the OnChildExit handler, one at a time, without
  // waiting for the loop: a handler may call it to hear of exits that came while it worked.
  void ReapChildren();
  void OnSignal(SignalHandler handler) { on_signal_ = std::move(handler); }

  // Runs `callback` once, `delay_ns` from now (monotonic clock).
  TimerId AddTimer(std::int64_t delay_ns, std::function<void()> callback);
  void CancelTimer(TimerId id);

  // Runs until Quit() is called.
  void Run();
  void Quit() { quit_ = true; }

  static std::int64_t MonotonicNs();
  // Wall-clock time in unix nanoseconds: what runs, steps and spans record.
  static std::int64_t UnixNs();

 private:
  struct Timer {
    std::int64_t deadline_ns;
    TimerId id;
    bool operator>(const Timer& other) const {
      return deadline_ns != other.deadline_ns ? deadline_ns > other.deadline_ns : id > other.id;
    }
  };
  void RunDueTimers();
  void DrainSignals();
  int NextTimeoutMs() const;

  os::UniqueFd epoll_;
  os::UniqueFd signal_fd_;
  ChildExitHandler on_child_exit_;
  SignalHandler on_signal_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::unordered_map<TimerId, std::function<void()>> timer_callbacks_;
  TimerId next_timer_id_ = 1;
  bool quit_ = false;
};

}  // namespace weft::engine
