#include "trace/otlp/spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "os/unique_fd.h"
#include "trace/otlp/proto_encoding.h"

namespace weft::trace::otlp {
namespace {

using os::UniqueFd;

constexpr std::string_view kExtension = ".otlp";
constexpr std::size_t kMaxReadableName = 64;

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool ReadAll(int fd, std::string* out) {
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return true;
    out->append(buffer, static_cast<std::size_t>(n));
  }
}

// Batch files, oldest first: names start with a fixed-width timestamp.
std::vector<std::filesystem::path> BatchFiles(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with('.') && name.ends_with(kExtension)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Spool::Spool(const std::filesystem::path& root, std::string_view endpoint)
    : directory_(root / DirectoryName(endpoint)) {}

std::string Spool::DirectoryName(std::string_view endpoint) {
  std::string readable;
  for (char c : endpoint.substr(0, kMaxReadableName)) {
    bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
    readable.push_back(keep ? c : '_');
  }
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a
  for (unsigned char c : endpoint) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return fmt::format("{}-{:016x}", readable, hash);
}

bool Spool::Write(const ExportBatch& batch, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) {
    *error = fmt::format("cannot create spool directory {}: {}", directory_.string(), ec.message());
    return false;
  }
  std::filesystem::permissions(directory_, std::filesystem::perms::owner_all, ec);

  auto now = std::chrono::system_clock::now().time_since_epoch();
  std::string stem =
      fmt::format("{:020}-{}-{}", std::chrono::nanoseconds(now).count(), getpid(), sequence_++);
  std::filesystem::path temp = directory_ / fmt::format(".{}.tmp", stem);
  std::filesystem::path final_path = directory_ / fmt::format("{}{}", stem, kExtension);
  std::string bytes = SerializeRequest(batch);
  {
    UniqueFd fd(open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid() || !WriteAll(fd.get(), bytes) || fsync(fd.get()) != 0) {
      *error = fmt::format("cannot write spool file {}: {}", temp.string(), std::strerror(errno));
      unlink(temp.c_str());
      return false;
    }
  }
  if (rename(temp.c_str(), final_path.c_str()) != 0) {
    *error = fmt::format("cannot rename spool file to {}: {}", final_path.string(),
                         std::strerror(errno));
    unlink(temp.c_str());
    return false;
  }
  // Make the rename itself durable.
  UniqueFd dir(open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) fsync(dir.get());
  return true;
}

Spool::DeliveryReport Spool::Deliver(const std::function<bool(const ExportBatch&)>& send) {
  DeliveryReport report;
  std::vector<std::filesystem::path> files = BatchFiles(directory_);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::filesystem::path& path = files[i];
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) continue;  // delivered by another process since the listing
    if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      ++report.files_left;  // another process is delivering it
      continue;
    }
    struct stat info {};
    if (fstat(fd.get(), &info) != 0 || info.st_nlink == 0) continue;  // delivered meanwhile
    std::string bytes;
    std::optional<ExportBatch> batch;
    if (ReadAll(fd.get(), &bytes)) batch = ParseRequest(bytes);
    if (!batch) {
      std::filesystem::path aside = path;
      aside += ".corrupt";
      rename(path.c_str(), aside.c_str());
      ++report.files_corrupt;
      continue;
    }
    if (!send(*batch)) {
      report.files_left += files.size() - i;
      break;
    }
    unlink(path.c_str());
    ++report.files_delivered;
    report.spans_delivered += batch->spans.size();
  }
  return report;
}

std::size_t Spool::PendingFiles() const { return BatchFiles(directory_).size(); }

}  // namespace weft::trace::otlp
