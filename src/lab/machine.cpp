#include "anvil/lab/machine.hpp"

#include <sched.h>
#include <sys/utsname.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace anvil::lab {

namespace {

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

// Output of a command run through popen with every argument single-quoted.
std::string run_output(const std::vector<std::string>& argv) {
  std::string command;
  for (const auto& arg : argv) {
    command += " '";
    for (char c : arg) {
      if (c == '\'') {
        command += "'\\''";
      } else {
        command += c;
      }
    }
    command += "'";
  }
  command += " 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer{};
    size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0 && out.size() < (1 << 20))
      out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    if (status != 0 && out.find("not found") != std::string::npos) return "";
  }
  return out;
}

}  // namespace

std::string first_output_line(const std::vector<std::string>& argv) {
  std::string out = run_output(argv);
  const auto end = out.find('\n');
  return end == std::string::npos ? out : out.substr(0, end);
}

std::vector<int> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

nlohmann::json capture_environment(const Suite& suite, const std::vector<std::string>& argv) {
  nlohmann::json env;
  env["cpu_model"] = cpu_model();
  env["cpu_count"] = std::thread::hardware_concurrency();
  env["usable_cpus"] = usable_cpus();
  struct utsname u {};
  if (::uname(&u) == 0) {
    env["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.machine;
    env["hostname"] = u.nodename;
  }
  env["os"] = read_first_line("/etc/debian_version");
  env["governor"] = read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  env["loadavg"] = read_first_line("/proc/loadavg");
#if defined(__clang__)
  env["compiler"] = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  env["compiler"] = std::string("gcc ") + __VERSION__;
#endif
  env["argv"] = argv;
  env["git_commit"] = first_output_line({"git", "-C", suite.dir, "rev-parse", "HEAD"});
  env["git_dirty"] = !run_output({"git", "-C", suite.dir, "status", "--porcelain", "-uno"}).empty();
  nlohmann::json versions;
  const std::string python = suite.venv + "/bin/python";
  versions["python"] = first_output_line({python, "--version"});
  const std::string packages =
      run_output({python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"});
  try {
    for (const auto& p : nlohmann::json::parse(packages))
      versions["pip"][p.at("name").get<std::string>()] = p.at("version");
  } catch (const std::exception&) {
    versions["pip"] = nullptr;
  }
  versions["go"] = first_output_line({"go", "version"});
  versions["nginx"] = first_output_line({"/usr/sbin/nginx", "-v"});
  versions["wrk"] = first_output_line({"wrk", "--version"});
  env["versions"] = versions;
  return env;
}

std::vector<std::string> machine_warnings(const Suite& suite, int trials) {
  (void)suite;
  std::vector<std::string> warnings;
  const std::string governor =
      read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  if (!governor.empty() && governor != "performance") {
    warnings.push_back("CPU frequency scaling governor is '" + governor +
                       "', not 'performance': clock speed may change during runs");
  }
  std::istringstream load(read_first_line("/proc/loadavg"));
  double load1 = 0;
  if (load >> load1) {
    const double cpus = static_cast<double>(usable_cpus().size());
    if (load1 > 0.5 * cpus) {
      std::ostringstream text;
      text.precision(2);
      text << std::fixed << "the machine is busy before the start: load average " << load1 << " on "
           << cpus << " CPUs";
      warnings.push_back(text.str());
    }
  }
  if (trials < 5) {
    warnings.push_back(std::to_string(trials) + (trials == 1 ? " trial" : " trials") +
                       " per run: fewer than 5, so comparisons cannot tell small differences "
                       "from noise");
  }
  return warnings;
}

}  // namespace anvil::lab
