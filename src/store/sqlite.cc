#include "store/sqlite.h"

#include <fmt/format.h>

#include <limits>

namespace weft::store {
namespace {

// What the user can do about a failure, by its primary result code; "" when nothing helps.
std::string_view Remedy(int code) {
  switch (code & 0xff) {
    case SQLITE_FULL:
      return "; free disk space on that filesystem";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "; another weft process held the database longer than the busy timeout, retry";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return "; check that the file and its directory exist and are writable by this user";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "; the file is damaged or not a weft database: move it aside to start afresh";
    default:
      return "";
  }
}

}  // namespace

Database::Database(const std::string& path) : path_(path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite3_open_v2 allocates a handle even on failure; it carries the message.
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(fmt::format("cannot open run store {}: {}{}", path, message, Remedy(rc)));
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() { sqlite3_close(db_); }

void Database::Execute(std::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    Fail(fmt::format("cannot run `{}`", text.substr(0, 60)));
  }
}

void Database::Fail(std::string_view doing) const {
  throw StoreError(fmt::format("run store {}: {}: {}{}", path_, doing, sqlite3_errmsg(db_),
                               Remedy(sqlite3_extended_errcode(db_))));
}

Statement::Statement(Database& db, std::string_view sql) : db_(db), sql_(sql) {}

sqlite3_stmt* Statement::Prepared() {
  if (stmt_ == nullptr &&
      sqlite3_prepare_v3(db_.handle(), sql_.data(), static_cast<int>(sql_.size()),
                         SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
    db_.Fail(fmt::format("cannot prepare `{}`", std::string_view(sql_).substr(0, 60)));
  }
  return stmt_;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::Bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(Prepared(), index, value) != SQLITE_OK) db_.Fail("cannot bind a value");
}

void Statement::Bind(int index, std::string_view value) {
  if (value.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw StoreError(fmt::format("run store {}: a text value of {} bytes is too large to store",
                                 db_.path(), value.size()));
  }
  // SQLITE_TRANSIENT: SQLite copies the text, so the caller's buffer may go away.
  if (sqlite3_bind_text(Prepared(), index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    db_.Fail("cannot bind a value");
  }
}

void Statement::BindOptional(int index, const std::optional<std::string>& value) {
  if (value) {
    Bind(index, *value);
  } else if (sqlite3_bind_null(Prepared(), index) != SQLITE_OK) {
    db_.Fail("cannot bind a value");
  }
}

void Statement::BindOptional(int index, const std::optional<std::int64_t>& value) {
  if (value) {
    Bind(index, *value);
  } else if (sqlite3_bind_null(Prepared(), index) != SQLITE_OK) {
    db_.Fail("cannot bind a value");
  }
}

bool Statement::Step() {
  switch (sqlite3_step(Prepared())) {
    case SQLITE_ROW:
      return true;
    case SQLITE_DONE:
      return false;
    default:
      db_.Fail(fmt::format("cannot run `{}`", std::string_view(sqlite3_sql(stmt_)).substr(0, 60)));
  }
}

void Statement::Reset() {
  if (stmt_ == nullptr) return;
  // The result of reset repeats the last step's error, which Step() already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt_, column));
}

std::optional<std::int64_t> Statement::OptionalInt(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return Int(column);
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return Text(column);
}

WriteTransaction::WriteTransaction(Database& db) : db_(db) { db_.Execute("BEGIN IMMEDIATE"); }

WriteTransaction::~WriteTransaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void WriteTransaction::Commit() {
  db_.Execute("COMMIT");
  open_ = false;
}

}  // namespace weft::store
