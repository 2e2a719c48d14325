#include "process/group_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>

namespace weft::process {
namespace {

// Messages a batch holds at most; the guard receives one batch with one recv().
constexpr std::size_t kMaxBatch = 64;

// The highest pid the kernel hands out; the guard keeps one bit per possible group.
std::size_t PidLimit() {
  std::ifstream in("/proc/sys/kernel/pid_max");
  std::size_t limit = 0;
  if (in >> limit && limit > 0) return limit;
  return 4u << 20;  // the kernel's upper bound on 64-bit
}

// The guard's whole life, after fork: only system calls, no allocation, no locks (weft may have
// other threads, whose locks the fork copied in whatever state they were).
[[noreturn]] void GuardMain(int socket, unsigned char* bits, std::size_t limit) {
  signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the whole terminal group; weft decides
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  pid_t batch[kMaxBatch];
  for (;;) {
    ssize_t n = recv(socket, batch, sizeof batch, 0);
    if (n > 0) {
      // In order: a group forgotten and a new one with the same id watched end up watched.
      for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(pid_t); ++i) {
        const pid_t message = batch[i];
        const pid_t pgid = message < 0 ? -message : message;
        if (pgid <= 0 || static_cast<std::size_t>(pgid) >= limit) continue;
        unsigned char mask = static_cast<unsigned char>(1u << (pgid % CHAR_BIT));
        if (message > 0) {
          bits[pgid / CHAR_BIT] |= mask;
        } else {
          bits[pgid / CHAR_BIT] &= static_cast<unsigned char>(~mask);
        }
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // end-of-file: weft is gone
  }
  for (std::size_t byte = 0; byte <= limit / CHAR_BIT; ++byte) {
    for (unsigned bit = 0; bits[byte] != 0 && bit < CHAR_BIT; ++bit) {
      if (bits[byte] & (1u << bit)) kill(-static_cast<pid_t>(byte * CHAR_BIT + bit), SIGKILL);
    }
  }
  _exit(0);
}

}  // namespace

GroupGuard::~GroupGuard() {
  Flush();
  if (socket_ >= 0) close(socket_);  // the guard sees end-of-file and exits
}

bool GroupGuard::Start(std::string* error) {
  const std::size_t limit = PidLimit();
  int sockets[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
    *error = std::string("cannot start the process guard: socketpair: ") + std::strerror(errno);
    return false;
  }
  // Mapped before the fork so the guard allocates nothing; untouched pages cost nothing.
  void* bits = mmap(nullptr, limit / CHAR_BIT + 1, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (bits == MAP_FAILED) {
    *error = std::string("cannot start the process guard: mmap: ") + std::strerror(errno);
    close(sockets[0]);
    close(sockets[1]);
    return false;
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Keep only the guard's end of the socket: no pipe of weft's caller stays open because
    // of the guard.
    dup2(sockets[1], STDIN_FILENO);
    close_range(STDOUT_FILENO, ~0U, 0);
    GuardMain(STDIN_FILENO, static_cast<unsigned char*>(bits), limit);
  }
  int fork_errno = errno;
  munmap(bits, limit / CHAR_BIT + 1);
  close(sockets[1]);
  if (pid < 0) {
    close(sockets[0]);
    *error = std::string("cannot start the process guard: fork: ") + std::strerror(fork_errno);
    return false;
  }
  socket_ = sockets[0];
  pid_ = pid;
  return true;
}

void GroupGuard::Watch(pid_t pgid) {
  pending_.push_back(pgid);
  Send();
}

void GroupGuard::Forget(pid_t pgid) {
  pending_.push_back(-pgid);
  if (pending_.size() == kMaxBatch) Send();
}

void GroupGuard::Flush() {
  if (!pending_.empty()) Send();
}

void GroupGuard::Send() {
  if (socket_ >= 0) {
    while (send(socket_, pending_.data(), pending_.size() * sizeof(pid_t), MSG_NOSIGNAL) < 0 &&
           errno == EINTR) {
    }
  }
  pending_.clear();
}

}  // namespace weft::process
