#include "driver_detail.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace anvil::lab::detail {

std::string base_url(const DriverTarget& target) {
  const bool ipv6 = target.host.find(':') != std::string::npos;
  const std::string host = ipv6 ? "[" + target.host + "]" : target.host;
  return "http://" + host + ":" + std::to_string(target.port);
}

int share_of(int total, int replicas, int replica) {
  if (replicas < 1) replicas = 1;
  const int base = total / replicas;
  const int rest = total % replicas;
  return std::max(1, base + (replica < rest ? 1 : 0));
}

int whole_seconds(double seconds) {
  return std::max(1, static_cast<int>(std::ceil(seconds - 1e-9)));
}

std::string milliseconds_arg(double seconds) {
  return std::to_string(std::llround(seconds * 1000.0)) + "ms";
}

std::string format_number(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

std::string scratch_path(const DriverTarget& target, std::string_view name) {
  if (target.work_dir.empty()) throw std::invalid_argument("driver: no work directory given");
  return target.work_dir + "/" + std::string(name);
}

void write_file(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw std::runtime_error("driver: cannot write '" + path + "'");
}

std::string read_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string(what) + ": cannot read '" + path + "'");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string truncate(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

std::string stdout_excerpt(const DriverInvocation& invocation) {
  if (invocation.stdout_path.empty()) return "";
  std::ifstream in(invocation.stdout_path, std::ios::binary);
  if (!in) return "";
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  if (text.empty()) return "";
  constexpr size_t kTail = 200;
  if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
  return " (driver output: " + text + ")";
}

void finish_result(DriverResult& result) {
  result.rps =
      result.duration_s > 0 ? static_cast<double>(result.successes) / result.duration_s : 0.0;
}

}  // namespace anvil::lab::detail
