#pragma once

// Test support: a small tmpfs mounted over a directory, so that a test can fill a real
// filesystem (writes then fail with ENOSPC, as on a full disk). The mount lives in a mount
// namespace of the test process's own: it is invisible to the rest of the machine and goes away
// with the process, however the test ends. Mounting needs CAP_SYS_ADMIN (root, as in CI);
// without it ok() is false and error() says why.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace weft::store {

class TmpfsMount {
 public:
  TmpfsMount(const std::filesystem::path& dir, std::size_t bytes) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    // Private propagation keeps the mount out of the namespace the process came from.
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr)) {
      error_ = std::string("cannot make a private mount namespace: ") + std::strerror(errno);
      return;
    }
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = "cannot mount a tmpfs on " + dir_.string() + ": " + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~TmpfsMount() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool ok() const { return mounted_; }
  const std::string& error() const { return error_; }

  // Writes `name` until the filesystem has no byte left; returns its path. Removing the file
  // gives the space back.
  std::filesystem::path Fill(const std::string& name = "filler") const {
    const std::filesystem::path path = dir_ / name;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const std::vector<char> chunk(64 * 1024, 'f');
    for (std::size_t size = chunk.size(); fd >= 0 && size > 0; size /= 2) {
      while (write(fd, chunk.data(), size) == static_cast<ssize_t>(size)) {
      }
    }
    if (fd >= 0) close(fd);
    return path;
  }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace weft::store
