#pragma once

// Private to the etl module: reading the pod environment (AIS_*, ETL_*, ANVIL_*).

#include <cstdlib>
#include <string>

#include "anvil/http/syntax.hpp"

namespace anvil::etl {

// The variable's value, or `fallback` when it is unset or empty.
inline std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

// "true", "1", "yes" or "on", in any case (the reference servers' truthy spellings).
inline bool env_true(const char* name) {
  const std::string v = env_or(name, "");
  for (const char* yes : {"true", "1", "yes", "on"}) {
    if (http::syntax::iequals(v, yes)) return true;
  }
  return false;
}

}  // namespace anvil::etl
