#include "anvil/load/interrupt.hpp"

#include <signal.h>

namespace anvil::load {

std::atomic<bool>& interrupt_flag() noexcept {
  static std::atomic<bool> flag{false};
  static_assert(std::atomic<bool>::is_always_lock_free);
  return flag;
}

namespace {
void on_signal(int) {
  interrupt_flag().store(true, std::memory_order_relaxed);
}
}  // namespace

void install_interrupt_handlers() noexcept {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  // A peer that resets mid-write must surface as EPIPE, not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
}

}  // namespace anvil::load
