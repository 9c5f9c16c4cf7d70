#include "anvil/lab/tree_sampler.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace anvil::lab {

namespace {

// Reads a small /proc file with one read() into a stack buffer (no streams: the sampler runs
// 20 times a second over every process of the tree). Returns bytes read, 0 when gone.
size_t read_small(const char* path, char* buffer, size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const ssize_t n = ::read(fd, buffer, size - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buffer[n] = '\0';
  return static_cast<size_t>(n);
}

struct ProcStat {
  pid_t ppid = 0;
  uint64_t utime = 0, stime = 0;    // clock ticks
  uint64_t cutime = 0, cstime = 0;  // of children it waited for
  uint64_t threads = 0;
  uint64_t rss_pages = 0;
};

// /proc/PID/stat: the command name (field 2) may hold spaces and ')'; fields resume after the
// last ')'. Field 4 ppid, 14 utime, 15 stime, 16 cutime, 17 cstime, 20 num_threads, 24 rss.
bool read_stat(pid_t pid, ProcStat& out) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  char buffer[1024];
  if (read_small(path, buffer, sizeof(buffer)) == 0) return false;
  const char* p = std::strrchr(buffer, ')');
  if (p == nullptr) return false;
  ++p;
  int field = 2;
  while (*p && field < 24) {
    while (*p == ' ')
      ++p;
    ++field;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(p, &end, 10);
    switch (field) {
      case 4:
        out.ppid = static_cast<pid_t>(v);
        break;
      case 14:
        out.utime = v;
        break;
      case 15:
        out.stime = v;
        break;
      case 16:
        out.cutime = v;
        break;
      case 17:
        out.cstime = v;
        break;
      case 20:
        out.threads = v;
        break;
      case 24:
        out.rss_pages = v;
        break;
      default:
        break;
    }
    while (*p && *p != ' ')
      ++p;
  }
  return field >= 24;
}

uint64_t status_value(const char* text, const char* key) {
  const char* at = std::strstr(text, key);
  return at ? std::strtoull(at + std::strlen(key), nullptr, 10) : 0;
}

// /proc/PID/status has the switches of the main thread only; every thread's are in
// /proc/PID/task/TID/status.
void add_context_switches(pid_t pid, uint64_t& voluntary, uint64_t& involuntary) {
  char path[320];
  std::snprintf(path, sizeof(path), "/proc/%d/task", pid);
  DIR* dir = ::opendir(path);
  if (dir == nullptr) return;
  char buffer[4096];
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::snprintf(path, sizeof(path), "/proc/%d/task/%s/status", pid, entry->d_name);
    if (read_small(path, buffer, sizeof(buffer)) == 0) continue;
    voluntary += status_value(buffer, "\nvoluntary_ctxt_switches:");
    involuntary += status_value(buffer, "\nnonvoluntary_ctxt_switches:");
  }
  ::closedir(dir);
}

}  // namespace

ResourceSample TreeSampler::read_tree(pid_t root) {
  static const double ticks_per_s = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const uint64_t page_size = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  // Every process and its parent, then the ones whose ancestry reaches root. CPU time of a
  // process that exits is lost only when no tree member reaps it (an orphan adopted outside).
  std::unordered_map<pid_t, ProcStat> all;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return {};
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    ProcStat stat;
    if (read_stat(pid, stat)) all.emplace(pid, stat);
  }
  ::closedir(proc);
  ResourceSample sample;
  for (const auto& [pid, stat] : all) {
    bool in_tree = false;
    pid_t p = pid;
    for (int depth = 0; depth < 64 && p > 1; ++depth) {
      if (p == root) {
        in_tree = true;
        break;
      }
      const auto it = all.find(p);
      if (it == all.end()) break;
      p = it->second.ppid;
    }
    if (!in_tree) continue;
    sample.processes += 1;
    sample.threads += static_cast<uint32_t>(stat.threads);
    // A child's time is its own while it lives and moves into its parent's cutime/cstime when
    // reaped, so the tree's total stays whole when short-lived children come and go.
    sample.cpu_user_s += static_cast<double>(stat.utime + stat.cutime) / ticks_per_s;
    sample.cpu_sys_s += static_cast<double>(stat.stime + stat.cstime) / ticks_per_s;
    sample.rss_bytes += stat.rss_pages * page_size;
    add_context_switches(pid, sample.ctx_voluntary, sample.ctx_involuntary);
  }
  return sample;
}

TreeSampler::TreeSampler(pid_t root, double hz) : root_(root), hz_(hz > 0 ? hz : 20) {}

TreeSampler::~TreeSampler() {
  if (running_.load()) stop();
}

void TreeSampler::start() {
  samples_.clear();
  running_.store(true);
  thread_ = std::thread([this] { loop(); });
}

void TreeSampler::loop() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const ResourceSample base = read_tree(root_);
  const auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / hz_));
  auto next = start;
  for (bool first = true, last = false; !last; first = false) {
    last = !running_.load();
    // The baseline itself is the first sample (zero by definition): reading the tree a second
    // time would already count the CPU a busy tree burnt between the two reads.
    ResourceSample s = first ? base : read_tree(root_);
    s.t_s = first ? 0.0 : std::chrono::duration<double>(Clock::now() - start).count();
    // Cumulative counters relative to the first sample. A process that leaves the tree (a
    // driver that finished, a worker that exited) takes its counts with it, so the sums would
    // go down: they are held at their highest instead (what it used is still used).
    s.cpu_user_s = std::max(0.0, s.cpu_user_s - base.cpu_user_s);
    s.cpu_sys_s = std::max(0.0, s.cpu_sys_s - base.cpu_sys_s);
    s.ctx_voluntary =
        s.ctx_voluntary > base.ctx_voluntary ? s.ctx_voluntary - base.ctx_voluntary : 0;
    s.ctx_involuntary =
        s.ctx_involuntary > base.ctx_involuntary ? s.ctx_involuntary - base.ctx_involuntary : 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!samples_.empty()) {
        const ResourceSample& prev = samples_.back();
        s.cpu_user_s = std::max(s.cpu_user_s, prev.cpu_user_s);
        s.cpu_sys_s = std::max(s.cpu_sys_s, prev.cpu_sys_s);
        s.ctx_voluntary = std::max(s.ctx_voluntary, prev.ctx_voluntary);
        s.ctx_involuntary = std::max(s.ctx_involuntary, prev.ctx_involuntary);
      }
      samples_.push_back(s);
    }
    next += period;
    while (running_.load() && Clock::now() < next)
      std::this_thread::sleep_for(
          std::min<Clock::duration>(next - Clock::now(), std::chrono::milliseconds(5)));
  }
}

std::vector<ResourceSample> TreeSampler::stop() {
  running_.store(false);
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  return samples_;
}

ResourceSummary summarize(const std::vector<ResourceSample>& samples) {
  ResourceSummary summary;
  summary.sample_count = samples.size();
  if (samples.empty()) return summary;
  const ResourceSample& first = samples.front();
  const ResourceSample& last = samples.back();
  summary.duration_s = last.t_s - first.t_s;
  summary.cpu_user_s = last.cpu_user_s - first.cpu_user_s;
  summary.cpu_sys_s = last.cpu_sys_s - first.cpu_sys_s;
  // Peak CPU over windows of at least 250 ms: /proc counts CPU time in 10 ms ticks, so
  // shorter windows would report quantization, not load.
  size_t window_start = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    const ResourceSample& s = samples[i];
    summary.rss_peak_bytes = std::max(summary.rss_peak_bytes, s.rss_bytes);
    summary.threads_peak = std::max(summary.threads_peak, s.threads);
    summary.processes_peak = std::max(summary.processes_peak, s.processes);
    while (window_start + 1 < i && s.t_s - samples[window_start + 1].t_s >= 0.25)
      ++window_start;
    const ResourceSample& p = samples[window_start];
    const double dt = s.t_s - p.t_s;
    if (dt < 0.25) continue;
    const double cpu = (s.cpu_user_s + s.cpu_sys_s) - (p.cpu_user_s + p.cpu_sys_s);
    summary.cpu_peak_pct = std::max(summary.cpu_peak_pct, 100.0 * cpu / dt);
  }
  if (summary.duration_s > 0 && summary.duration_s < 0.25) {
    summary.cpu_peak_pct = 100.0 * (summary.cpu_user_s + summary.cpu_sys_s) / summary.duration_s;
  }
  if (summary.duration_s > 0) {
    summary.cpu_mean_pct = 100.0 * (summary.cpu_user_s + summary.cpu_sys_s) / summary.duration_s;
    auto rate = [&](uint64_t a, uint64_t b) {
      return b > a ? static_cast<double>(b - a) / summary.duration_s : 0.0;
    };
    summary.ctx_voluntary_per_s = rate(first.ctx_voluntary, last.ctx_voluntary);
    summary.ctx_involuntary_per_s = rate(first.ctx_involuntary, last.ctx_involuntary);
  }
  return summary;
}

}  // namespace anvil::lab
