#pragma once

#include <stdexcept>

namespace anvil::cli {

inline constexpr int kExitFailure = 1;    // the run could not be done (I/O, environment)
inline constexpr int kExitUsage = 2;      // bad input: flags, URL, files, values
inline constexpr int kExitThreshold = 3;  // a --threshold was breached

// Bad input from the user; reported as one line and exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace anvil::cli
