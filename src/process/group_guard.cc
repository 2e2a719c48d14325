#include "process/group_guard.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

namespace weft::process {
namespace {

// One bit per possible process group, up to the kernel's bound on pid_max (PID_MAX_LIMIT on
// 64-bit), not the pid_max of the moment: it can be raised while weft runs. Untouched pages of
// the map cost nothing.
constexpr std::size_t kPidLimit = std::size_t{4} << 20;

constexpr std::size_t kBitmapBytes = kPidLimit / CHAR_BIT;
constexpr std::size_t kMinPageBytes = 4096;

unsigned char BitOf(pid_t pgid) { return static_cast<unsigned char>(1u << (pgid % CHAR_BIT)); }

// The guard's whole life, after fork: only system calls, no allocation, no locks (weft may have
// other threads, whose locks the fork copied in whatever state they were).
// `page_bytes` is the system's page size, asked before fork.
[[noreturn]] void GuardMain(int pipe, unsigned char* bits, std::size_t page_bytes) {
  signal(SIGINT, SIG_IGN);  // Ctrl-C reaches the whole terminal group; weft decides
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  for (;;) {
    char byte;
    const ssize_t n = read(pipe, &byte, 1);  // weft never writes: this returns at end-of-file
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  // Only pages weft wrote to are in memory; the others hold no bit. Scanning all 512 KiB cost
  // ~8 M instructions at every weft's end.
  unsigned char resident[kBitmapBytes / kMinPageBytes];
  const bool known = page_bytes >= kMinPageBytes && kBitmapBytes % page_bytes == 0 &&
                     mincore(bits, kBitmapBytes, resident) == 0;
  const std::size_t chunk = known ? page_bytes : kBitmapBytes;
  for (std::size_t start = 0; start < kBitmapBytes; start += chunk) {
    if (known && (resident[start / page_bytes] & 1) == 0) continue;
    for (std::size_t index = start; index < start + chunk; ++index) {
      const unsigned char live = std::atomic_ref(bits[index]).load(std::memory_order_acquire);
      for (unsigned bit = 0; live != 0 && bit < CHAR_BIT; ++bit) {
        if (live & (1u << bit)) kill(-static_cast<pid_t>(index * CHAR_BIT + bit), SIGKILL);
      }
    }
  }
  _exit(0);
}

}  // namespace

GroupGuard::~GroupGuard() {
  if (pipe_ >= 0) close(pipe_);  // the guard sees end-of-file and exits
  if (bits_ != nullptr) munmap(bits_, kBitmapBytes);
}

bool GroupGuard::Start(std::string* error) {
  // Shared, so that the guard sees every later store; untouched pages cost nothing.
  void* bits = mmap(nullptr, kBitmapBytes, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (bits == MAP_FAILED) {
    *error = std::string("cannot start the process guard: mmap: ") + std::strerror(errno);
    return false;
  }
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) {
    *error = std::string("cannot start the process guard: pipe: ") + std::strerror(errno);
    munmap(bits, kBitmapBytes);
    return false;
  }
  const long page_bytes = sysconf(_SC_PAGESIZE);
  pid_t pid = fork();
  if (pid == 0) {
    // Keep only the read end: no pipe of weft's caller stays open because of the guard, and
    // no copy of the write end keeps end-of-file away.
    dup2(ends[0], STDIN_FILENO);
    close_range(STDOUT_FILENO, ~0U, 0);
    GuardMain(STDIN_FILENO, static_cast<unsigned char*>(bits),
              page_bytes > 0 ? static_cast<std::size_t>(page_bytes) : 0);
  }
  const int fork_errno = errno;
  close(ends[0]);
  if (pid < 0) {
    close(ends[1]);
    munmap(bits, kBitmapBytes);
    *error = std::string("cannot start the process guard: fork: ") + std::strerror(fork_errno);
    return false;
  }
  pipe_ = ends[1];
  pid_ = pid;
  bits_ = static_cast<unsigned char*>(bits);
  return true;
}

void GroupGuard::Watch(pid_t pgid) {
  if (bits_ == nullptr || pgid <= 0 || static_cast<std::size_t>(pgid) >= kPidLimit) return;
  std::atomic_ref(bits_[pgid / CHAR_BIT]).fetch_or(BitOf(pgid), std::memory_order_release);
}

void GroupGuard::Forget(pid_t pgid) {
  if (bits_ == nullptr || pgid <= 0 || static_cast<std::size_t>(pgid) >= kPidLimit) return;
  std::atomic_ref(bits_[pgid / CHAR_BIT])
      .fetch_and(static_cast<unsigned char>(~BitOf(pgid)), std::memory_order_release);
}

bool GroupGuard::Watching(pid_t pgid) const {
  if (bits_ == nullptr || pgid <= 0 || static_cast<std::size_t>(pgid) >= kPidLimit) return false;
  return (std::atomic_ref(bits_[pgid / CHAR_BIT]).load(std::memory_order_acquire) & BitOf(pgid)) !=
         0;
}

}  // namespace weft::process
