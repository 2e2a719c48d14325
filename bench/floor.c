// The process-spawn floor of SPEC §8: spawns the same command COUNT times, at most PARALLEL at a
// time, with posix_spawnp + waitpid and nothing else, and prints the wall time. Whatever a
// workflow engine adds on top of this loop is its overhead.
//
// usage: floor [-n COUNT] [-j PARALLEL] [-o FILE] [-- COMMAND [ARG...]]
//   COUNT     processes to run (default 1000)
//   PARALLEL  how many may run at once; 0 = all of them (default 1)
//   FILE      the children's stdout and stderr are appended to FILE, as `cmd >> FILE 2>&1`
//             would (default: inherited)
//   COMMAND   default `sh -c true`
// On success prints one line and exits 0:
//   floor: COUNT processes, PARALLEL at a time: WALL s (US us per process), CPU CPU s,
//   peak RSS KIB KiB
// where CPU is the user + system time of the children and of the descendants they waited for,
// and the peak RSS that of the largest of them. Exits 1 after
// reporting the first child that failed (no new child starts after it), 2 on bad usage.
//
// bench/bench.py also runs every measured command (weft, make, ninja, this floor) as
// `floor -n 1 -o LOG -- COMMAND...`: this process is small, so the peak RSS is the command's
// own, the CPU time is the command's whole process tree, and the wall time excludes the Python
// driver's costs.

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static const char kUsage[] =
    "usage: floor [-n COUNT] [-j PARALLEL] [-o FILE] [-- COMMAND [ARG...]]\n";

static double NowSeconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Parses a non-negative decimal count; returns -1 for anything else.
static long ParseCount(const char* text) {
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0) return -1;
  return value;
}

// Reaps one child; returns 0 when it exited 0, else reports it and returns 1.
static int ReapOne(void) {
  int status = 0;
  pid_t pid;
  do {
    pid = waitpid(-1, &status, 0);
  } while (pid < 0 && errno == EINTR);
  if (pid < 0) {
    fprintf(stderr, "floor: waitpid: %s\n", strerror(errno));
    return 1;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFEXITED(status)) {
    fprintf(stderr, "floor: child %d exited %d\n", (int)pid, WEXITSTATUS(status));
  } else {
    fprintf(stderr, "floor: child %d killed by signal %d\n", (int)pid, WTERMSIG(status));
  }
  return 1;
}

int main(int argc, char** argv) {
  long count = 1000;
  long parallel = 1;
  const char* out_path = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "+n:j:o:h")) != -1) {
    switch (opt) {
      case 'n':
        count = ParseCount(optarg);
        break;
      case 'j':
        parallel = ParseCount(optarg);
        break;
      case 'o':
        out_path = optarg;
        break;
      case 'h':
        fputs(kUsage, stdout);
        return 0;
      default:
        fputs(kUsage, stderr);
        return 2;
    }
    if (count < 0 || parallel < 0) {
      fprintf(stderr, "floor: -%c wants a non-negative number, got '%s'\n%s", opt, optarg, kUsage);
      return 2;
    }
  }
  if (parallel == 0 || parallel > count) parallel = count;

  static char* default_command[] = {"sh", "-c", "true", NULL};
  char** command = optind < argc ? argv + optind : default_command;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out_path != NULL) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path,
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }

  int failures = 0;
  long started = 0;
  long running = 0;
  double begin = NowSeconds();
  while (started < count && failures == 0) {
    if (running == parallel) {
      failures += ReapOne();
      --running;
      continue;
    }
    pid_t pid;
    int rc = posix_spawnp(&pid, command[0], &actions, NULL, command, environ);
    if (rc != 0) {
      fprintf(stderr, "floor: cannot start '%s': %s\n", command[0], strerror(rc));
      ++failures;
      break;
    }
    ++started;
    ++running;
  }
  while (running > 0) {
    failures += ReapOne();
    --running;
  }
  double wall = NowSeconds() - begin;
  posix_spawn_file_actions_destroy(&actions);

  if (failures > 0) return 1;
  struct rusage usage;
  getrusage(RUSAGE_CHILDREN, &usage);
  double cpu = (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  printf(
      "floor: %ld processes, %ld at a time: %.6f s (%.1f us per process), CPU %.6f s, "
      "peak RSS %ld KiB\n",
      count, parallel, wall, count > 0 ? wall * 1e6 / (double)count : 0.0, cpu, usage.ru_maxrss);
  return 0;
}
