#pragma once

// Which process recorded a run, precisely enough to tell later whether it still lives: a pid
// alone is not enough because the kernel reuses pids, so the process's start time (field 22
// of /proc/<pid>/stat, in clock ticks since boot) is kept beside it. A pid that now belongs to
// a process started at another time is a different process.

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace weft::store {

struct ProcessIdentity {
  pid_t pid = 0;
  std::int64_t start_time = 0;  // clock ticks since boot, as /proc/<pid>/stat reports it

  // The calling process.
  static ProcessIdentity Self();
  // The live process with this pid now, or nullopt when there is none (a zombie that has
  // exited but not been reaped counts as gone: it will never finish anything).
  static std::optional<ProcessIdentity> Of(pid_t pid);

  // True when this very process (same pid and start time) is still running.
  bool IsAlive() const;

  bool operator==(const ProcessIdentity&) const = default;
};

}  // namespace weft::store
