#pragma once

#include <sys/resource.h>

namespace anvil::core {

// CPU seconds this process has used so far, split user/system (getrusage RUSAGE_SELF).
struct CpuTimes {
  double user_s = 0;
  double sys_s = 0;

  static CpuTimes of_self() noexcept {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return {usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
            usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6};
  }
  CpuTimes operator-(const CpuTimes& earlier) const noexcept {
    return {user_s - earlier.user_s, sys_s - earlier.sys_s};
  }
  double total_s() const noexcept { return user_s + sys_s; }
};

// Number of CPUs this process may run on (its affinity mask), at least 1.
int usable_cpu_count() noexcept;

}  // namespace anvil::core
