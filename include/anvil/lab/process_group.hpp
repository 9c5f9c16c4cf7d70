#pragma once

#include <sys/types.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// A program the lab starts (a target server or a driver) in its own process group, so the
// whole tree (Gunicorn and its workers) is stopped together, and never outlives the lab:
// a watchdog process holds a pipe to the lab and stops the group when the lab dies, even by
// SIGKILL.
namespace anvil::lab {

struct LaunchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] searched in PATH when it has no '/'
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) ours
  std::string cwd;                                       // empty: ours
  std::string log_path;   // stdout and stderr appended here; empty: /dev/null
  std::vector<int> cpus;  // sched_setaffinity before exec; empty: no pinning
};

class ProcessGroup {
 public:
  // Throws LaunchError naming the program when it cannot be started (not found, not
  // executable, bad cwd): the exec failure is reported back through a CLOEXEC pipe.
  static ProcessGroup start(const ProcessSpec& spec);

  ProcessGroup(ProcessGroup&&) noexcept;
  ProcessGroup& operator=(ProcessGroup&&) noexcept;
  ~ProcessGroup();  // stop(1.0) if still running

  pid_t pid() const { return pid_; }  // also the process group id
  bool running();                     // reaps without blocking
  // "exited with status 1", "killed by signal 9", or "running".
  std::string describe_exit();
  std::optional<int> exit_code();  // once exited normally
  // SIGTERM to the group, wait up to grace_s, then SIGKILL to the group; reaps. Returns true
  // when it exited within the grace period. Safe to call twice.
  bool stop(double grace_s);
  // Waits for exit up to timeout_s (no signal sent). True when it exited.
  bool wait_for(double timeout_s);

 private:
  ProcessGroup() = default;
  pid_t pid_ = -1;
  pid_t watchdog_pid_ = -1;
  int watchdog_fd_ = -1;  // write end; closing it without "done" makes the watchdog kill
  std::optional<int> wait_status_;
  void release_watchdog();
};

// The executable a command name runs: itself when it has a '/', else searched in PATH and
// the sbin directories (nginx lives in /usr/sbin); nullopt when there is none.
std::optional<std::string> find_program(const std::string& program);

// Whether any process of the group is still alive (zombies do not count: they hold no
// resources and only wait for a parent to reap them).
bool group_has_live_members(pid_t pgid);

// The last `lines` lines of a log file (at most 64 KiB read), for failure records.
std::string log_tail(const std::string& path, size_t lines = 20);

// A free TCP port on host (bind port 0, read it back, close).
int pick_free_port(const std::string& host = "127.0.0.1");

struct HttpExchange {
  bool ok = false;  // a complete response arrived
  int status = 0;
  std::string body;
  std::string error;  // why not ok: "connection refused", "timeout", "bad response: ..."
};

// One blocking HTTP/1.1 request (Connection: close) with a deadline, parsed with anvil's own
// response parser. Used for readiness probes and the verify step.
HttpExchange http_exchange(const std::string& host, int port, const std::string& method,
                           const std::string& path, const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           double timeout_s);

// Polls method+path every 50 ms until it answers expect_status, the process exits, or the
// timeout passes. Returns "" when ready, else the reason ("exited with status 1 before
// ready", "not ready after 30 s: connection refused").
std::string wait_until_ready(ProcessGroup& process, const std::string& host, int port,
                             const std::string& method, const std::string& path, int expect_status,
                             double timeout_s);

}  // namespace anvil::lab
