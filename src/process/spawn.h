#pragma once

// Starting step processes. Each child runs in its own process group (so a stop or timeout can
// signal everything the step started), with stdin from /dev/null and stdout/stderr straight
// onto its log files, opened by the child itself or handed to it open by the caller: weft holds
// no descriptor per running step (only the caller's, for the few steps it prepares ahead) and
// never copies a step's output through its own memory.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process/environment.h"

namespace weft::process {

struct SpawnSpec {
  std::vector<std::string> argv;     // argv[0] is looked up in PATH of `env` when it has no '/'
  const Environment* env = nullptr;  // the child's whole environment; nullptr = empty
  std::string working_dir;           // "" = inherit
  std::string stdout_path;           // appended to; created 0600
  std::string stderr_path;           // == stdout_path (or "") merges stderr into stdout
  // Descriptors already open on those files (O_APPEND), used instead of opening the paths in
  // the child; -1 = open the path. The caller keeps and closes them.
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Starts the child. Returns its pid (also its process group id), or -1 with *error set to a
// message naming the program and the reason (not found, not executable, bad working dir...).
pid_t Spawn(const SpawnSpec& spec, std::string* error);

// The number of a signal given as "SIGTERM", "TERM" or "15"; 0 when it names no signal.
int SignalNumber(std::string_view name);

// Sends `signal` to the child's whole process group. Returns false when the group is gone.
bool SignalGroup(pid_t pgid, int signal);

// The outcome of a waited-for child in the shell's convention: the exit code, or 128 + signal
// number when a signal ended it.
struct ExitStatus {
  int exit_code = 0;
  int signal = 0;  // 0 = exited normally
};
ExitStatus DecodeWaitStatus(int wait_status);

// A process that ended, as collected by ReapOne.
struct Exited {
  pid_t pid;
  ExitStatus status;
};

// Collects one child that has ended, without blocking; nullopt when none has.
std::optional<Exited> ReapOne();

}  // namespace weft::process
