#include "anvil/lab/process_group.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

extern char** environ;

namespace anvil::lab {

namespace {

constexpr char kWatchdogRelease = 'r';

void close_from(int lowest) {
  // close_range(2) is in Linux 5.9 and glibc 2.34; the raw syscall avoids depending on the
  // libc wrapper.
  ::syscall(SYS_close_range, static_cast<unsigned>(lowest), ~0U, 0U);
}

// The watchdog: forked from the lab, never execs, runs only async-signal-safe calls. It waits
// for the lab's end of the pipe to close. A release byte first means the lab stopped the
// group itself; a bare end-of-file means the lab died, so the group is stopped here.
[[noreturn]] void watchdog_main(int read_fd, pid_t group) {
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  if (read_fd != 3) {
    ::dup2(read_fd, 3);
    read_fd = 3;
  }
  close_from(4);
  char byte = 0;
  ssize_t n = 0;
  do {
    n = ::read(read_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n == 1 && byte == kWatchdogRelease) ::_exit(0);
  ::kill(-group, SIGTERM);
  for (int i = 0; i < 20; ++i) {  // 2 s for a graceful exit
    if (::kill(-group, 0) != 0) ::_exit(0);
    const struct timespec step { 0, 100'000'000 };
    ::nanosleep(&step, nullptr);
  }
  ::kill(-group, SIGKILL);
  ::_exit(0);
}

// Writes errno (as text) to the launch pipe and exits: the parent turns it into LaunchError.
[[noreturn]] void child_fail(int report_fd, const char* what) {
  const int saved = errno;
  char message[256];
  const char* reason = ::strerror(saved);
  size_t length = 0;
  for (const char* p = what; *p && length < sizeof(message) - 1; ++p)
    message[length++] = *p;
  for (const char* p = ": "; *p && length < sizeof(message) - 1; ++p)
    message[length++] = *p;
  for (const char* p = reason; *p && length < sizeof(message) - 1; ++p)
    message[length++] = *p;
  ssize_t ignored = ::write(report_fd, message, length);
  (void)ignored;
  ::_exit(127);
}

// Reaps exited members of the group that are our children: the leader, and, since the lab is
// a child subreaper, workers orphaned by a leader that died first. Records the leader's status.
void reap_group(pid_t pgid, std::optional<int>& leader_status) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(-pgid, &status, WNOHANG);
    if (r <= 0) return;
    if (r == pgid) leader_status = status;
  }
}

}  // namespace

std::optional<std::string> find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) == 0) return program;
    return std::nullopt;
  }
  const char* path = ::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin";  // nginx lives in /usr/sbin
  size_t begin = 0;
  while (begin <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', begin), dirs.size());
    std::string candidate = dirs.substr(begin, end - begin) + "/" + program;
    if (end > begin && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    begin = end + 1;
  }
  return std::nullopt;
}

bool group_has_live_members(pid_t pgid) {
  if (::kill(-pgid, 0) != 0) return false;
  // kill() succeeds while zombies remain; look at each member's state.
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return true;
  bool alive = false;
  char path[300];
  char buffer[512];
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::snprintf(path, sizeof(path), "/proc/%s/stat", entry->d_name);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof(buffer) - 1);
    ::close(fd);
    if (n <= 0) continue;
    buffer[n] = '\0';
    const char* p = std::strrchr(buffer, ')');
    if (p == nullptr) continue;
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (std::sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid &&
        state != 'Z' && state != 'X') {
      alive = true;
      break;
    }
  }
  ::closedir(proc);
  return alive;
}

ProcessGroup ProcessGroup::start(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) throw LaunchError("cannot start: empty command");
  // Everything the child needs is prepared here: after fork only async-signal-safe calls.
  // PATH lookup before fork: the child must not allocate. A missing program is left to
  // execve, whose ENOENT the launch pipe reports with its name.
  const std::string program = find_program(spec.argv[0]).value_or(spec.argv[0]);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    bool replaced = false;
    for (const auto& [k, v] : spec.env)
      replaced |= eq != std::string::npos && entry.compare(0, eq, k) == 0 && k.size() == eq;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : spec.env)
    env_strings.push_back(k + "=" + v);
  std::vector<char*> argv;
  for (const auto& a : spec.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  for (int cpu : spec.cpus)
    CPU_SET(cpu, &cpus);

  int log_fd = ::open(spec.log_path.empty() ? "/dev/null" : spec.log_path.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw LaunchError("cannot open log '" + spec.log_path + "': " + std::strerror(errno));
  }
  int report[2];
  int watch[2];
  if (::pipe2(report, O_CLOEXEC) != 0 || ::pipe2(watch, O_CLOEXEC) != 0) {
    ::close(log_fd);
    throw LaunchError(std::string("pipe: ") + std::strerror(errno));
  }
  // Workers orphaned by a dying leader become our children, so we can reap them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int saved = errno;
    ::close(log_fd);
    for (int fd : {report[0], report[1], watch[0], watch[1]})
      ::close(fd);
    throw LaunchError(std::string("fork: ") + std::strerror(saved));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // First layer; the watchdog is the one that also covers the lab's threads ending.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // A lab run from a shell that ignores signals must not pass that on to targets.
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
      ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0) {
      child_fail(report[1], "cannot redirect output");
    }
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
      child_fail(report[1], "cannot enter working directory");
    }
    if (!spec.cpus.empty() && ::sched_setaffinity(0, sizeof(cpus), &cpus) != 0) {
      child_fail(report[1], "cannot pin to the CPUs");
    }
    ::execve(program.c_str(), argv.data(), envp.data());
    child_fail(report[1], "cannot execute");
  }
  // Both sides set the group so no signal can race the child's own setpgid.
  ::setpgid(pid, pid);
  ::close(log_fd);
  ::close(report[1]);

  ProcessGroup group;
  group.pid_ = pid;
  const pid_t watchdog = ::fork();
  if (watchdog == 0) {
    ::close(watch[1]);
    watchdog_main(watch[0], pid);
  }
  ::close(watch[0]);
  if (watchdog < 0) {
    ::close(watch[1]);
  } else {
    group.watchdog_pid_ = watchdog;
    group.watchdog_fd_ = watch[1];
  }

  char message[256];
  ssize_t n = 0;
  do {
    n = ::read(report[0], message, sizeof(message));
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n > 0) {
    group.stop(1.0);
    std::string why(message, static_cast<size_t>(n));
    if (why.rfind("cannot enter working directory", 0) == 0) {
      why = "cannot enter working directory '" + spec.cwd + "'" + why.substr(30);
    }
    throw LaunchError("cannot start '" + spec.argv[0] + "': " + why);
  }
  if (watchdog < 0) {
    group.stop(1.0);
    throw LaunchError(std::string("fork (watchdog): ") + std::strerror(errno));
  }
  return group;
}

ProcessGroup::ProcessGroup(ProcessGroup&& other) noexcept
    : pid_(other.pid_),
      watchdog_pid_(other.watchdog_pid_),
      watchdog_fd_(other.watchdog_fd_),
      wait_status_(other.wait_status_) {
  other.pid_ = -1;
  other.watchdog_pid_ = -1;
  other.watchdog_fd_ = -1;
}

ProcessGroup& ProcessGroup::operator=(ProcessGroup&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) stop(1.0);
    pid_ = other.pid_;
    watchdog_pid_ = other.watchdog_pid_;
    watchdog_fd_ = other.watchdog_fd_;
    wait_status_ = other.wait_status_;
    other.pid_ = -1;
    other.watchdog_pid_ = -1;
    other.watchdog_fd_ = -1;
  }
  return *this;
}

ProcessGroup::~ProcessGroup() {
  if (pid_ > 0) stop(1.0);
}

bool ProcessGroup::running() {
  if (pid_ <= 0 || wait_status_) return false;
  reap_group(pid_, wait_status_);
  return !wait_status_;
}

std::string ProcessGroup::describe_exit() {
  if (running()) return "running";
  if (!wait_status_) return "not started";
  const int s = *wait_status_;
  if (WIFEXITED(s)) return "exited with status " + std::to_string(WEXITSTATUS(s));
  if (WIFSIGNALED(s)) {
    const char* name = ::sigabbrev_np(WTERMSIG(s));
    return "killed by signal " + std::to_string(WTERMSIG(s)) +
           (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "ended";
}

std::optional<int> ProcessGroup::exit_code() {
  if (running() || !wait_status_ || !WIFEXITED(*wait_status_)) return std::nullopt;
  return WEXITSTATUS(*wait_status_);
}

bool ProcessGroup::wait_for(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

bool ProcessGroup::stop(double grace_s) {
  if (pid_ <= 0) return true;
  bool graceful = true;
  // The leader may be gone while its workers still run: the group is signalled either way
  // (its id cannot be reused while any member, even a zombie, exists).
  reap_group(pid_, wait_status_);
  if (group_has_live_members(pid_)) {
    ::kill(-pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
    for (;;) {
      reap_group(pid_, wait_status_);
      if (!group_has_live_members(pid_)) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        graceful = false;
        ::kill(-pid_, SIGKILL);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  if (!wait_status_) {
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) wait_status_ = status;
  }
  reap_group(pid_, wait_status_);
  release_watchdog();
  pid_ = -pid_;  // stopped; describe_exit() and exit_code() still answer
  return graceful;
}

void ProcessGroup::release_watchdog() {
  if (watchdog_fd_ >= 0) {
    const char byte = kWatchdogRelease;
    ssize_t ignored = ::write(watchdog_fd_, &byte, 1);
    (void)ignored;
    ::close(watchdog_fd_);
    watchdog_fd_ = -1;
  }
  if (watchdog_pid_ > 0) {
    int status = 0;
    ::waitpid(watchdog_pid_, &status, 0);
    watchdog_pid_ = -1;
  }
}

std::string log_tail(const std::string& path, size_t lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > 65536 ? size - 65536 : 0;
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  // Walk back over `lines` line breaks; what follows the last one found is the tail.
  size_t begin = text.size();
  for (size_t n = 0; n < lines; ++n) {
    const size_t nl = begin == 0 ? std::string::npos : text.rfind('\n', begin - 1);
    if (nl == std::string::npos) {
      begin = 0;
      break;
    }
    begin = nl;
  }
  if (begin < text.size() && text[begin] == '\n') ++begin;
  return text.substr(begin);
}

}  // namespace anvil::lab
