// stop: ask the weft process running a DAG to stop (§3.3), and wait until it has.

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "cli/paths.h"
#include "cli/run_lookup.h"
#include "engine/event_loop.h"
#include "store/run_store.h"

namespace weft::cli {
namespace {

// An fd that becomes readable when the process exits: a wait without polling for a process
// that is not our child.
class ProcessWatch {
 public:
  explicit ProcessWatch(pid_t pid) : fd_(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))) {}
  ~ProcessWatch() {
    if (fd_ >= 0) close(fd_);
  }
  ProcessWatch(const ProcessWatch&) = delete;
  ProcessWatch& operator=(const ProcessWatch&) = delete;

  bool ok() const { return fd_ >= 0; }
  void WaitForExit() const {
    pollfd fd{fd_, POLLIN, 0};
    while (poll(&fd, 1, -1) < 0 && errno == EINTR) {
    }
  }

 private:
  int fd_;
};

}  // namespace

int Stop(const QueryFlags& flags) {
  std::string name = DagName(flags.dag);
  try {
    store::RunStore store(WeftHome());
    std::optional<store::RunRecord> run = FindRun(store, name, flags.run_id);
    if (!run) return 1;
    if (run->status != engine::Status::kRunning) {
      fmt::print(stderr, "weft: run {} of `{}` is not running (it {})\n", run->run_id, name,
                 engine::ToString(run->status));
      return 1;
    }
    // Only the very process that records the run: its pid may have been reused.
    std::optional<store::ProcessIdentity> now = store::ProcessIdentity::Of(run->process.pid);
    ProcessWatch watch(run->process.pid);
    if (!now || *now != run->process || !watch.ok() || kill(run->process.pid, SIGTERM) != 0) {
      fmt::print(stderr, "weft: the weft process of run {} of `{}` is gone\n", run->run_id, name);
      return 1;
    }
    fmt::print("stopping {} run {} (weft pid {})\n", name, run->run_id, run->process.pid);
    std::fflush(stdout);
    watch.WaitForExit();
    run = store.FindRun(run->ref());
    fmt::print("{} run {}: {}\n", name, run->run_id, engine::ToString(run->status));
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "weft: {}\n", e.what());
    return 2;
  }
}

}  // namespace weft::cli
