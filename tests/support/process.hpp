#pragma once

// RAII child processes for integration tests: anvil itself and anvil-test-server run as real
// processes, each in its own process group so that stopping one never touches anything else
// (we never kill by name). stdout and stderr are captured in anonymous memory files (memfd), so
// a chatty child can never block on a full pipe and the output can be read at any time.
//
// Contract:
//  - Process(argv) forks and execs argv[0] (a path, no PATH search), stdin from /dev/null, in a
//    new process group whose id is the child's pid; the child gets SIGKILL if the thread that
//    created the Process dies (PR_SET_PDEATHSIG), so create it from the test's own thread.
//    Throws std::runtime_error if the program cannot be executed.
//  - The destructor SIGKILLs the whole group and reaps the child.
//  - Exit codes: >= 0 for a normal exit, -signal when the child was killed by a signal.
//  - Not thread-safe; one test thread owns each Process.

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace anvil::test {

using namespace std::chrono_literals;

// Where the build put its executables: $ANVIL_BINARY_DIR (set by CTest), else the directory of
// the running test binary (CMAKE_RUNTIME_OUTPUT_DIRECTORY puts them all at the build's top).
inline std::string binary_dir() {
  if (const char* dir = std::getenv("ANVIL_BINARY_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
}

inline std::string binary_path(std::string_view name) {
  return binary_dir() + "/" + std::string(name);
}

class Process {
 public:
  explicit Process(std::vector<std::string> argv) : argv_(std::move(argv)) {
    if (argv_.empty()) throw std::runtime_error("Process: empty argv");
    out_fd_ = make_memfd("stdout");
    try {
      err_fd_ = make_memfd("stderr");
    } catch (...) {
      close_capture();
      throw;
    }
    int exec_pipe[2];
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
      close_capture();
      throw_errno("pipe2");
    }

    std::vector<char*> args;
    for (std::string& a : argv_)
      args.push_back(a.data());
    args.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) {
      const int e = errno;
      ::close(exec_pipe[0]);
      ::close(exec_pipe[1]);
      close_capture();
      errno = e;
      throw_errno("fork");
    }
    if (pid_ == 0) {
      // Child: only async-signal-safe calls from here to exec (the parent is multi-threaded).
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGPIPE, SIG_DFL);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_fd_, 1) < 0 ||
          ::dup2(err_fd_, 2) < 0) {
        child_fail(exec_pipe[1]);
      }
      // Nothing else the test holds (listening sockets, other children's files) leaks in.
      for (int fd = 3; fd < 1024; ++fd) {
        if (fd != exec_pipe[1]) ::close(fd);
      }
      ::execv(args[0], args.data());
      child_fail(exec_pipe[1]);
    }
    ::setpgid(pid_, pid_);  // also from the parent, so the group exists before we signal it
    ::close(exec_pipe[1]);
    int child_errno = 0;
    ssize_t n;
    do {
      n = ::read(exec_pipe[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    ::close(exec_pipe[0]);
    if (n > 0) {
      reap_blocking();
      close_capture();
      throw std::runtime_error("cannot execute " + argv_[0] + ": " + std::strerror(child_errno));
    }
  }

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  Process(Process&& other) noexcept
      : argv_(std::move(other.argv_)),
        pid_(std::exchange(other.pid_, -1)),
        out_fd_(std::exchange(other.out_fd_, -1)),
        err_fd_(std::exchange(other.err_fd_, -1)),
        status_(other.status_) {}
  Process& operator=(Process&&) = delete;

  ~Process() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      if (!status_) reap_blocking();
    }
    close_capture();
  }

  pid_t pid() const noexcept { return pid_; }
  const std::vector<std::string>& argv() const noexcept { return argv_; }

  // Everything the child wrote so far.
  std::string out() const { return read_all(out_fd_); }
  std::string err() const { return read_all(err_fd_); }

  // Waits for the first stdout line "PORT <n>" and returns n. Throws if it does not come within
  // `timeout` or the child exits first (the message then carries the child's stderr).
  int read_port(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const std::string text = out();
      if (size_t eol = text.find('\n'); eol != std::string::npos) {
        std::string_view line(text.data(), eol);
        int port = 0;
        if (line.substr(0, 5) == "PORT ") {
          auto [end, ec] = std::from_chars(line.data() + 5, line.data() + line.size(), port);
          if (ec == std::errc{} && end == line.data() + line.size() && port > 0) return port;
        }
        throw std::runtime_error("bad first line from " + argv_[0] + ": " + std::string(line));
      }
      if (poll_exit()) {
        throw std::runtime_error(argv_[0] + " exited before printing its port: " + err());
      }
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error(argv_[0] + " printed no port in time");
      }
      std::this_thread::sleep_for(2ms);
    }
  }

  // The exit code once the child has exited, nullopt if it is still running after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!poll_exit()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(2ms);
    }
    return exit_code();
  }

  bool running() { return !poll_exit(); }

  // SIGTERM to the group, SIGKILL after `grace`; returns the exit code.
  int terminate(std::chrono::milliseconds grace = 3s) {
    if (!poll_exit()) {
      ::kill(-pid_, SIGTERM);
      if (!wait(grace)) {
        ::kill(-pid_, SIGKILL);
        reap_blocking();
      }
    }
    return exit_code();
  }

 private:
  void close_capture() noexcept {
    if (out_fd_ >= 0) ::close(std::exchange(out_fd_, -1));
    if (err_fd_ >= 0) ::close(std::exchange(err_fd_, -1));
  }

  static int make_memfd(const char* name) {
    int fd = static_cast<int>(::syscall(SYS_memfd_create, name, MFD_CLOEXEC));
    if (fd < 0) throw_errno("memfd_create");
    return fd;
  }

  [[noreturn]] static void throw_errno(const char* what) {
    throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
  }

  [[noreturn]] static void child_fail(int report_fd) {
    int e = errno;
    (void)!::write(report_fd, &e, sizeof e);
    ::_exit(127);
  }

  // pread leaves the file offset, which the child shares, alone.
  static std::string read_all(int fd) {
    std::string text;
    if (fd < 0) return text;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return text;
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      ssize_t n = ::pread(fd, text.data() + got, text.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
    return text;
  }

  bool poll_exit() {
    if (status_) return true;
    int st = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &st, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) status_ = st;
    return status_.has_value();
  }

  void reap_blocking() {
    int st = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &st, 0);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) status_ = st;
  }

  int exit_code() const {
    if (!status_) return -SIGKILL;
    if (WIFEXITED(*status_)) return WEXITSTATUS(*status_);
    if (WIFSIGNALED(*status_)) return -WTERMSIG(*status_);
    return -1;
  }

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<int> status_;
};

// A finished run of a program: exit code (see Process), captured output and wall time.
struct RunResult {
  int exit_code = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
  double wall_s = 0;
};

// Runs argv to completion; after `timeout` the group is terminated and timed_out is set.
inline RunResult run_process(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  const auto start = std::chrono::steady_clock::now();
  Process p(std::move(argv));
  RunResult r;
  if (std::optional<int> code = p.wait(timeout)) {
    r.exit_code = *code;
  } else {
    r.timed_out = true;
    r.exit_code = p.terminate(1s);
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.out = p.out();
  r.err = p.err();
  return r;
}

}  // namespace anvil::test
