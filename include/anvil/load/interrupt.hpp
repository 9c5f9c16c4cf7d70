#pragma once

#include <atomic>

namespace anvil::load {

// The process-wide "stop now" flag a SIGINT/SIGTERM handler sets (lock-free atomic stores are
// async-signal-safe); workers poll it once per loop iteration and finish cleanly.
std::atomic<bool>& interrupt_flag() noexcept;
void install_interrupt_handlers() noexcept;

}  // namespace anvil::load
