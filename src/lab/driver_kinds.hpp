#pragma once

#include "anvil/lab/driver.hpp"

// One pair of functions per driver; driver.cpp dispatches on DriverSpec::kind.
namespace anvil::lab {

DriverInvocation anvil_invocation(const DriverSpec& driver, const WorkloadSpec& workload,
                                  const LoadShape& shape, const DriverTarget& target, int replica);
DriverResult parse_anvil_result(const DriverInvocation& invocation);

// Shared helpers.
std::string url_of(const DriverTarget& target, const std::string& path);
std::string read_text_file(const std::string& path);  // throws runtime_error when unreadable
void write_text_file(const std::string& path, const std::string& text);
std::string seconds_text(double seconds);  // "2.5s"

}  // namespace anvil::lab
