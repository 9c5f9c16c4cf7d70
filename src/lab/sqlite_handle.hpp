#pragma once

// RAII over SQLite's C API for the results store: statements that finalize themselves,
// transactions that roll back unless committed, and every failure turned into a StoreError
// naming the file and SQLite's own message.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/lab/store.hpp"

namespace anvil::lab::sql {

[[noreturn]] void fail(sqlite3* db, const std::string& path, const std::string& what);
void exec(sqlite3* db, const std::string& path, const char* sql);

class Statement {
 public:
  Statement(sqlite3* db, const std::string& path, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binding is 1-based, as in SQLite; each returns *this so a row reads as one expression.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::span<const uint8_t> bytes);
  Statement& bind(int index, const std::optional<double>& value);
  Statement& bind_null(int index);

  bool step();  // true while a row is available; throws on error
  void run();   // steps a statement that returns no rows, then resets it for reuse
  void reset();

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::vector<uint8_t> blob(int column) const;
  std::optional<double> optional_real(int column) const;

 private:
  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE takes the write lock up front, so a busy database waits (busy timeout) at
// the start instead of failing half-way through.
class Transaction {
 public:
  Transaction(sqlite3* db, const std::string& path);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  sqlite3* db_;
  const std::string& path_;
  bool done_ = false;
};

}  // namespace anvil::lab::sql
