#pragma once

// The store's schema history. Each migration moves the file from version i to i + 1
// (PRAGMA user_version); they are applied in order at open, all pending ones in one
// transaction, so a file is always at some complete version.
#include <span>

namespace anvil::lab {

struct Migration {
  int version;      // user_version after this migration
  const char* sql;  // one or more statements
};

std::span<const Migration> migrations();
int latest_schema_version();

}  // namespace anvil::lab
