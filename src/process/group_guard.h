#pragma once

// Makes step processes die with weft (§3.3). A guard is a small process forked from weft that
// keeps the set of live step process groups, told over a socket as steps start and are reaped.
// When weft ends in any way, SIGKILL included, the kernel closes weft's end of the socket; the
// guard sees end-of-file and kills every group still in its set, then exits. A step cannot hold
// the socket open: weft's end is close-on-exec.

#include <sys/types.h>

#include <string>
#include <vector>

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

  // The group `pgid` is live: told at once, since weft may die the next moment. Groups forgotten
  // since the last message travel with it, so a step that ends and the one started in its place
  // cost one message and one wake-up of the guard.
  void Watch(pid_t pgid);
  // The group `pgid` has been reaped. Held until the next Watch or Flush: until then the guard
  // would only kill a group that no longer exists (its id cannot be reused before it is reaped,
  // and a reused id is told by Watch after the Forget it follows).
  void Forget(pid_t pgid);
  // Tells the guard of the groups forgotten since the last message. The caller does it when it
  // is done with what one wake-up brought (and the destructor does it).
  void Flush();

  pid_t pid() const { return pid_; }

 private:
  void Send();

  int socket_ = -1;
  pid_t pid_ = -1;
  std::vector<pid_t> pending_;  // messages not yet sent: pgid = watch, -pgid = forget
};

}  // namespace weft::process
