#include "engine/event_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace weft::engine {
namespace {

sigset_t LoopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void EventLoop::BlockSignals() {
  sigset_t set = LoopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

EventLoop::EventLoop() {
  BlockSignals();
  epoll_ = os::UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  sigset_t set = LoopSignals();
  signal_fd_ = os::UniqueFd(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (epoll_.get() < 0 || signal_fd_.get() < 0) {
    throw std::runtime_error("cannot create the event loop: " + std::to_string(errno));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = signal_fd_.get();
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, signal_fd_.get(), &ev);
}

std::int64_t EventLoop::MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t EventLoop::UnixNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

EventLoop::TimerId EventLoop::AddTimer(std::int64_t delay_ns, std::function<void()> callback) {
  TimerId id = next_timer_id_++;
  timers_.push({MonotonicNs() + delay_ns, id});
  timer_callbacks_.emplace(id, std::move(callback));
  return id;
}

void EventLoop::CancelTimer(TimerId id) { timer_callbacks_.erase(id); }

int EventLoop::NextTimeoutMs() const {
  if (timers_.empty()) return -1;
  std::int64_t wait_ns = timers_.top().deadline_ns - MonotonicNs();
  if (wait_ns <= 0) return 0;
  return static_cast<int>((wait_ns + 999'999) / 1'000'000);  // round up: never wake early
}

void EventLoop::RunDueTimers() {
  std::int64_t now = MonotonicNs();
  while (!timers_.empty() && timers_.top().deadline_ns <= now) {
    TimerId id = timers_.top().id;
    timers_.pop();
    auto it = timer_callbacks_.find(id);
    if (it == timer_callbacks_.end()) continue;  // cancelled
    auto callback = std::move(it->second);
    timer_callbacks_.erase(it);
    callback();
  }
}

void EventLoop::DrainSignals() {
  // Room for several, so that one read usually takes all and a short read says none is left.
  signalfd_siginfo infos[8];
  bool child_exited = false;
  for (;;) {
    const ssize_t n = read(signal_fd_.get(), infos, sizeof infos);
    if (n <= 0) break;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof infos[0]; ++i) {
      if (infos[i].ssi_signo == SIGCHLD) {
        child_exited = true;
      } else if (on_signal_) {
        on_signal_(static_cast<int>(infos[i].ssi_signo));
      }
    }
    if (static_cast<std::size_t>(n) < sizeof infos) break;
  }
  // SIGCHLD coalesces: one notification may stand for many exits, so reap them all.
  if (child_exited) ReapChildren();
}

void EventLoop::ReapChildren() {
  while (const auto exited = process::ReapOne()) {
    if (on_child_exit_) on_child_exit_(*exited);
  }
}

void EventLoop::Run() {
  quit_ = false;
  // A child may have ended before the loop started; its SIGCHLD is pending in the signalfd.
  while (!quit_) {
    epoll_event ev;
    int n = epoll_wait(epoll_.get(), &ev, 1, NextTimeoutMs());
    if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
    if (n > 0) DrainSignals();
    RunDueTimers();
  }
}

}  // namespace weft::engine
