#pragma once

#include "support/guarded_buffer.hpp"

namespace anvil::http::test {
using anvil::test::GuardedBuffer;
}  // namespace anvil::http::test
