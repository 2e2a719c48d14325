#include "store/process_identity.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace weft::store {

ProcessIdentity ProcessIdentity::Self() {
  const pid_t self = getpid();
  // Our own /proc entry always exists while we run; start time 0 only if /proc is missing.
  return Of(self).value_or(ProcessIdentity{self, 0});
}

std::optional<ProcessIdentity> ProcessIdentity::Of(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  const std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Field 2 is the command name in parentheses and may itself hold spaces and ')': the fields
  // that follow start after the last ')'.
  const auto name_end = stat.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string state;
  fields >> state;  // field 3
  if (!fields || state == "Z" || state == "X") return std::nullopt;
  std::string skipped;
  for (int field = 4; field < 22; ++field) fields >> skipped;
  std::int64_t start_time = 0;
  fields >> start_time;  // field 22
  if (!fields) return std::nullopt;
  return ProcessIdentity{pid, start_time};
}

bool ProcessIdentity::IsAlive() const {
  const auto now = Of(pid);
  return now.has_value() && *now == *this;
}

}  // namespace weft::store
