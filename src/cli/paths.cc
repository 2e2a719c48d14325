#include "cli/paths.h"

#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "engine/step_command.h"

namespace weft::cli {
namespace {

void MakePrivateDirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  chmod(dir.c_str(), 0700);
}

}  // namespace

std::string WeftHome() {
  std::filesystem::path home;
  if (const char* env = std::getenv("WEFT_HOME"); env != nullptr && *env != '\0') {
    home = env;
  } else if (const char* user = std::getenv("HOME"); user != nullptr && *user != '\0') {
    home = std::filesystem::path(user) / ".local" / "share" / "weft";
  } else {
    home = "/tmp/weft";
  }
  home = std::filesystem::absolute(home);
  MakePrivateDirs(home);
  return home.string();
}

std::string RunDir(const std::string& home, const std::string& dag_name,
                   const std::string& run_id) {
  auto dir = std::filesystem::path(home) / "runs" / engine::FileSafeName(dag_name) /
             engine::FileSafeName(run_id);
  MakePrivateDirs(dir);
  chmod((std::filesystem::path(home) / "runs").c_str(), 0700);
  chmod(dir.parent_path().c_str(), 0700);
  return dir.string();
}

std::string ResolveDagFile(const std::string& arg, const std::string& dags_dir,
                           std::string* tried) {
  std::vector<std::filesystem::path> candidates;
  for (const char* ext : {"", ".yaml", ".yml"}) candidates.emplace_back(arg + ext);
  if (!dags_dir.empty() && !std::filesystem::path(arg).is_absolute()) {
    for (const char* ext : {"", ".yaml", ".yml"}) {
      candidates.push_back(std::filesystem::path(dags_dir) / (arg + ext));
    }
  }
  tried->clear();
  for (const auto& c : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(c, ec)) {
      return std::filesystem::absolute(c).lexically_normal().string();
    }
    if (!tried->empty()) *tried += ", ";
    *tried += c.string();
  }
  return "";
}

std::string NewRunId() {
  std::uint8_t b[16];
  std::size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  std::uint64_t ms = static_cast<std::uint64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0f));  // version 7
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3f));  // RFC 4122 variant
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

}  // namespace weft::cli
