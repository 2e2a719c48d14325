#pragma once

// A thin RAII layer over the SQLite C API: one owner per connection and per prepared
// statement, every failure turned into a StoreError that names the database file and what
// was being done. Nothing here knows about runs; run_store.h builds on it.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace weft::store {

// Any failure to open, read or write the store. The message names the database path and the
// SQLite reason, and says what the user can do about it when there is something to do.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One open connection. Closing happens in the destructor; a connection is not copyable so
// that exactly one owner closes it. Not thread-safe by itself: its owner serializes every use
// (RunStore holds a mutex around each), so SQLite's own per-call locking is left out.
class Database {
 public:
  // Opens (creating when missing) the file at `path`. Throws StoreError.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL that returns no rows needed by the caller (schema, pragmas). Throws StoreError.
  void Execute(std::string_view sql);

  // Throws a StoreError for the last failure on this connection, prefixed with `doing`.
  [[noreturn]] void Fail(std::string_view doing) const;

  // Rows changed by the last INSERT, UPDATE or DELETE on this connection.
  int Changes() const { return sqlite3_changes(db_); }

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A statement prepared once and run many times. Each Bind/Step cycle ends with Reset(), which
// a StatementUse does on scope exit (the usual way to run one). It is prepared when first bound
// or stepped, not when made: a store keeps all of its statements, a weft process uses a few,
// and preparing them all cost every process ~2.4 M instructions. Bad SQL is reported then.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  void Bind(int index, std::int64_t value);
  void Bind(int index, std::string_view value);
  // Binds NULL when the value is absent.
  void BindOptional(int index, const std::optional<std::string>& value);
  void BindOptional(int index, const std::optional<std::int64_t>& value);

  // Advances to the next row: true when a row is available, false when done. Throws
  // StoreError on failure (SQLITE_BUSY included: the busy timeout has already been waited).
  bool Step();
  void Reset();

  std::int64_t Int(int column) const;
  std::string Text(int column) const;
  std::optional<std::int64_t> OptionalInt(int column) const;
  std::optional<std::string> OptionalText(int column) const;

 private:
  sqlite3_stmt* Prepared();

  Database& db_;
  const std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when it goes out of scope, so that an exception in the middle of a
// query never leaves the statement holding a read snapshot or its bindings.
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : statement_(statement) {}
  ~StatementUse() { statement_.Reset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  Statement* operator->() { return &statement_; }
  Statement& operator*() { return statement_; }

 private:
  Statement& statement_;
};

// A write transaction taken with BEGIN IMMEDIATE: the write lock is acquired up front (waiting
// up to the busy timeout) so that no statement inside can fail later with SQLITE_BUSY on lock
// upgrade. Rolled back by the destructor unless Commit() was called.
class WriteTransaction {
 public:
  explicit WriteTransaction(Database& db);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  void Commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace weft::store
