#include "store/sqlite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "store/scratch_dir.h"

namespace weft::store {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

class SqliteTest : public ::testing::Test {
 protected:
  std::string DbPath() const { return (dir_.path() / "test.db").string(); }

  ScratchDir dir_;
};

int CountRows(Database& db, const char* table) {
  Statement count(db, std::string("SELECT count(*) FROM ") + table);
  StatementUse use(count);
  EXPECT_TRUE(use->Step());
  return static_cast<int>(use->Int(0));
}

TEST_F(SqliteTest, StatementIsReusedWithNewBindingsEachTime) {
  Database db(DbPath());
  db.Execute("CREATE TABLE t (n INTEGER, s TEXT)");
  Statement insert(db, "INSERT INTO t VALUES (?1, ?2)");
  for (int i = 0; i < 3; ++i) {
    StatementUse use(insert);
    use->Bind(1, i);
    use->Bind(2, "row " + std::to_string(i));
    EXPECT_FALSE(use->Step());
  }
  Statement select(db, "SELECT n, s FROM t ORDER BY n");
  StatementUse use(select);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(use->Step());
    EXPECT_EQ(use->Int(0), i);
    EXPECT_EQ(use->Text(1), "row " + std::to_string(i));
  }
  EXPECT_FALSE(use->Step());
}

TEST_F(SqliteTest, OptionalValuesRoundTripAsNull) {
  Database db(DbPath());
  db.Execute("CREATE TABLE t (i INTEGER, s TEXT)");
  Statement insert(db, "INSERT INTO t VALUES (?1, ?2)");
  {
    StatementUse use(insert);
    use->BindOptional(1, std::optional<std::int64_t>());
    use->BindOptional(2, std::optional<std::string>());
    use->Step();
  }
  {
    StatementUse use(insert);
    use->BindOptional(1, std::optional<std::int64_t>(7));
    use->BindOptional(2, std::optional<std::string>(""));
    use->Step();
  }
  Statement select(db, "SELECT i, s FROM t ORDER BY rowid");
  StatementUse use(select);
  ASSERT_TRUE(use->Step());
  EXPECT_EQ(use->OptionalInt(0), std::nullopt);
  EXPECT_EQ(use->OptionalText(1), std::nullopt);
  ASSERT_TRUE(use->Step());
  EXPECT_EQ(use->OptionalInt(0), 7);
  EXPECT_EQ(use->OptionalText(1), std::optional<std::string>(""));
}

TEST_F(SqliteTest, TextWithEmbeddedNulIsKeptWhole) {
  Database db(DbPath());
  db.Execute("CREATE TABLE t (s TEXT)");
  const std::string value("a\0b", 3);
  Statement insert(db, "INSERT INTO t VALUES (?1)");
  {
    StatementUse use(insert);
    use->Bind(1, value);
    use->Step();
  }
  Statement select(db, "SELECT s FROM t");
  StatementUse use(select);
  ASSERT_TRUE(use->Step());
  EXPECT_EQ(use->Text(0), value);
}

TEST_F(SqliteTest, BadSqlNamesTheDatabaseAndTheStatement) {
  Database db(DbPath());
  Statement bad(db, "SELEKT 1");  // prepared on first use
  EXPECT_THAT([&] { bad.Step(); },
              ThrowsMessage<StoreError>(AllOf(HasSubstr(DbPath()), HasSubstr("SELEKT 1"))));
  EXPECT_THAT([&] { bad.Bind(1, std::int64_t{1}); },
              ThrowsMessage<StoreError>(HasSubstr("cannot prepare `SELEKT 1`")));
  bad.Reset();  // nothing to reset: no failure
  EXPECT_THAT([&] { db.Execute("CREATE TABLE"); },
              ThrowsMessage<StoreError>(HasSubstr("CREATE TABLE")));
}

TEST_F(SqliteTest, ConstraintFailureIsReportedByStep) {
  Database db(DbPath());
  db.Execute("CREATE TABLE t (n INTEGER NOT NULL)");
  Statement insert(db, "INSERT INTO t VALUES (?1)");
  StatementUse use(insert);
  use->BindOptional(1, std::optional<std::int64_t>());
  EXPECT_THAT([&] { use->Step(); }, ThrowsMessage<StoreError>(HasSubstr("NOT NULL")));
}

TEST_F(SqliteTest, OpeningADirectoryFailsWithThePath) {
  EXPECT_THAT([&] { Database db(dir_.path().string()); },
              ThrowsMessage<StoreError>(HasSubstr(dir_.path().string())));
}

TEST_F(SqliteTest, TransactionRollsBackUnlessCommitted) {
  Database db(DbPath());
  db.Execute("CREATE TABLE t (n INTEGER)");
  {
    WriteTransaction transaction(db);
    db.Execute("INSERT INTO t VALUES (1)");
  }
  EXPECT_EQ(CountRows(db, "t"), 0);
  {
    WriteTransaction transaction(db);
    db.Execute("INSERT INTO t VALUES (2)");
    transaction.Commit();
  }
  EXPECT_EQ(CountRows(db, "t"), 1);
}

TEST_F(SqliteTest, TransactionRollsBackWhenAnExceptionLeavesIt) {
  Database db(DbPath());
  db.Execute("CREATE TABLE t (n INTEGER NOT NULL)");
  try {
    WriteTransaction transaction(db);
    db.Execute("INSERT INTO t VALUES (1)");
    db.Execute("INSERT INTO t VALUES (NULL)");
    transaction.Commit();
  } catch (const StoreError&) {
  }
  EXPECT_EQ(CountRows(db, "t"), 0);
}

TEST_F(SqliteTest, WriteLockHeldElsewhereFailsAfterBusyTimeoutWithRemedy) {
  Database holder(DbPath());
  holder.Execute("CREATE TABLE t (n INTEGER)");
  Database waiter(DbPath());
  sqlite3_busy_timeout(waiter.handle(), 0);
  WriteTransaction held(holder);
  EXPECT_THAT([&] { WriteTransaction blocked(waiter); },
              ThrowsMessage<StoreError>(HasSubstr("busy timeout")));
}

TEST_F(SqliteTest, ChangesCountsRowsOfTheLastWrite) {
  Database db(DbPath());
  db.Execute("CREATE TABLE t (n INTEGER)");
  db.Execute("INSERT INTO t VALUES (1), (2), (3)");
  db.Execute("UPDATE t SET n = 0 WHERE n > 1");
  EXPECT_EQ(db.Changes(), 2);
}

}  // namespace
}  // namespace weft::store
