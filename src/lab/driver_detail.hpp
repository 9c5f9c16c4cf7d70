#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "anvil/lab/driver.hpp"

// What the four driver files share: one build_/parse_ pair per driver and the small helpers
// they all need (URLs, scratch files, error excerpts). Private to src/lab.
namespace anvil::lab::detail {

DriverInvocation build_anvil(const DriverSpec& driver, const WorkloadSpec& workload,
                             const LoadShape& shape, const DriverTarget& target, int replica);
DriverResult parse_anvil(const DriverInvocation& invocation);

DriverInvocation build_wrk(const DriverSpec& driver, const WorkloadSpec& workload,
                           const LoadShape& shape, const DriverTarget& target, int replica);
DriverResult parse_wrk(const DriverInvocation& invocation);

DriverInvocation build_locust(const DriverSpec& driver, const WorkloadSpec& workload,
                              const LoadShape& shape, const DriverTarget& target, int replica);
DriverResult parse_locust(const DriverInvocation& invocation);

DriverInvocation build_command(const DriverSpec& driver, const WorkloadSpec& workload,
                               const LoadShape& shape, const DriverTarget& target, int replica);
DriverResult parse_command(const DriverInvocation& invocation);

// "http://host:port" (IPv6 literals bracketed), no trailing slash.
std::string base_url(const DriverTarget& target);
// This replica's share of a total split evenly over `replicas` (the first ones get the rest);
// at least 1.
int share_of(int total, int replicas, int replica);
// Whole seconds, rounded up, at least 1: for drivers that take only integers.
int whole_seconds(double seconds);
// "2.5s" style with millisecond precision: "2500ms".
std::string milliseconds_arg(double seconds);
std::string format_number(double value);

std::string scratch_path(const DriverTarget& target, std::string_view name);
void write_file(const std::string& path, std::string_view content);
// Throws std::runtime_error("<what>: cannot read '<path>'").
std::string read_file(const std::string& path, std::string_view what);
// The captured stdout's tail, for error messages; "" if there is none.
std::string stdout_excerpt(const DriverInvocation& invocation);
std::string truncate(std::string_view text, size_t limit = 200);

// rps from successes and the window; 0 for an empty window.
void finish_result(DriverResult& result);

}  // namespace anvil::lab::detail
