#include "anvil/core/resource_usage.hpp"

#include <sched.h>

namespace anvil::core {

int usable_cpu_count() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int count = CPU_COUNT(&set);
  return count > 0 ? count : 1;
}

}  // namespace anvil::core
