#pragma once

// Makes step processes die with weft (§3.3). A guard is a small process forked from weft that
// keeps the set of live step process groups, told over a socket as steps start and are reaped.
// When weft ends in any way, SIGKILL included, the kernel closes weft's end of the socket; the
// guard sees end-of-file and kills every group still in its set, then exits. A step cannot hold
// the socket open: weft's end is close-on-exec.

#include <sys/types.h>

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

  // The group `pgid` is live / has been reaped. One small message each; never blocks long.
  void Watch(pid_t pgid);
  void Forget(pid_t pgid);

  pid_t pid() const { return pid_; }

 private:
  void Send(pid_t value);

  int socket_ = -1;
  pid_t pid_ = -1;
};

}  // namespace weft::process
