#pragma once

// Makes step processes die with weft (§3.3). A guard is a small process forked from weft that,
// when weft ends in any way (SIGKILL included), kills every step process group still live.
//
// The set of live groups is a bitmap in memory shared with the guard: weft sets a group's bit
// when it starts a step and clears it when it reaps the step, which costs a store, with no
// system call and no wake-up of the guard. The guard sleeps in read() on a pipe whose only
// writer is weft; when weft ends the kernel closes that end, the guard reads end-of-file, kills
// every group whose bit is set and exits. A step cannot hold the pipe open: weft's end is
// close-on-exec.

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace weft::process {

class GroupGuard {
 public:
  GroupGuard() = default;
  ~GroupGuard();
  GroupGuard(const GroupGuard&) = delete;
  GroupGuard& operator=(const GroupGuard&) = delete;

  // Forks the guard. Returns false with *error set when it cannot; Watch and Forget then do
  // nothing.
  bool Start(std::string* error);

  // The group `pgid` is live / has been reaped. One shared-memory store each. Called from one
  // thread.
  void Watch(pid_t pgid);
  void Forget(pid_t pgid);

  // Whether `pgid` is watched: set by Watch, cleared by Forget.
  bool Watching(pid_t pgid) const;

  pid_t pid() const { return pid_; }

 private:
  int pipe_ = -1;  // weft's end: the write end, never written
  pid_t pid_ = -1;
  unsigned char* bits_ = nullptr;  // one bit per possible group id, shared with the guard
};

}  // namespace weft::process
