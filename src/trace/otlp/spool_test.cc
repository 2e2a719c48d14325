#include "trace/otlp/spool.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "trace/otlp/receiver_fixture.h"

namespace weft::trace::otlp {
namespace {

using testing::SampleBatch;
using testing::TempDir;

std::vector<std::filesystem::path> Entries(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

// A batch whose one span is told apart by its name.
ExportBatch Named(const std::string& name) {
  ExportBatch batch = SampleBatch(1);
  batch.spans[0].name = name;
  return batch;
}

TEST(OtlpSpoolTest, WritesOnePrivateFilePerBatch) {
  TempDir root;
  Spool spool(root.path(), "collector:4317");
  std::string error;
  ASSERT_TRUE(spool.Write(SampleBatch(2), &error)) << error;
  ASSERT_TRUE(spool.Write(SampleBatch(1), &error)) << error;
  EXPECT_EQ(spool.PendingFiles(), 2u);
  struct stat info {};
  ASSERT_EQ(stat(spool.directory().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  for (const auto& file : Entries(spool.directory())) {
    EXPECT_EQ(file.extension(), ".otlp");
    ASSERT_EQ(stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u) << file;
  }
}

TEST(OtlpSpoolTest, DeliversOldestFirstAndDeletesWhatWasAccepted) {
  TempDir root;
  Spool spool(root.path(), "collector:4317");
  std::string error;
  for (const char* name : {"first", "second", "third"})
    ASSERT_TRUE(spool.Write(Named(name), &error));
  std::vector<std::string> sent;
  Spool::DeliveryReport report = spool.Deliver([&](const ExportBatch& batch) {
    sent.push_back(batch.spans.at(0).name);
    return true;
  });
  EXPECT_EQ(sent, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(report.files_delivered, 3u);
  EXPECT_EQ(report.spans_delivered, 3u);
  EXPECT_EQ(report.files_left, 0u);
  EXPECT_EQ(spool.PendingFiles(), 0u);
  EXPECT_TRUE(Entries(spool.directory()).empty());
}

TEST(OtlpSpoolTest, StopsAtTheFirstRejectionAndKeepsTheRest) {
  TempDir root;
  Spool spool(root.path(), "collector:4317");
  std::string error;
  for (const char* name : {"a", "b", "c"}) ASSERT_TRUE(spool.Write(Named(name), &error));
  int calls = 0;
  Spool::DeliveryReport report = spool.Deliver([&](const ExportBatch&) { return ++calls == 1; });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(report.files_delivered, 1u);
  EXPECT_EQ(report.files_left, 2u);
  std::vector<std::string> later;
  spool.Deliver([&](const ExportBatch& batch) {
    later.push_back(batch.spans.at(0).name);
    return true;
  });
  EXPECT_EQ(later, (std::vector<std::string>{"b", "c"}));
}

TEST(OtlpSpoolTest, IgnoresTemporaryFilesAndSetsCorruptOnesAside) {
  TempDir root;
  Spool spool(root.path(), "collector:4317");
  std::string error;
  ASSERT_TRUE(spool.Write(Named("good"), &error));
  // What a crash mid-write leaves, and a file that is not a batch.
  std::ofstream(spool.directory() / ".00000000000000000001-1-0.tmp") << "half";
  std::ofstream(spool.directory() / "00000000000000000001-1-1.otlp") << "\xff\xff\xff\xff";
  std::vector<std::string> sent;
  Spool::DeliveryReport report = spool.Deliver([&](const ExportBatch& batch) {
    sent.push_back(batch.spans.at(0).name);
    return true;
  });
  EXPECT_EQ(sent, (std::vector<std::string>{"good"}));
  EXPECT_EQ(report.files_corrupt, 1u);
  EXPECT_TRUE(std::filesystem::exists(spool.directory() / "00000000000000000001-1-1.otlp.corrupt"));
  EXPECT_EQ(spool.PendingFiles(), 0u);
}

TEST(OtlpSpoolTest, SkipsAFileAnotherProcessIsDelivering) {
  TempDir root;
  Spool spool(root.path(), "collector:4317");
  std::string error;
  ASSERT_TRUE(spool.Write(Named("claimed"), &error));
  std::filesystem::path file = Entries(spool.directory()).at(0);
  int fd = open(file.c_str(), O_RDONLY);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);  // as a concurrent Deliver would hold it
  bool called = false;
  Spool::DeliveryReport report = spool.Deliver([&](const ExportBatch&) { return called = true; });
  EXPECT_FALSE(called);
  EXPECT_EQ(report.files_left, 1u);
  close(fd);
  EXPECT_EQ(spool.Deliver([](const ExportBatch&) { return true; }).files_delivered, 1u);
}

TEST(OtlpSpoolTest, EachEndpointHasItsOwnDirectory) {
  EXPECT_EQ(Spool::DirectoryName("collector:4317"), Spool::DirectoryName("collector:4317"));
  EXPECT_NE(Spool::DirectoryName("collector:4317"), Spool::DirectoryName("collector_4317"));
  std::string name = Spool::DirectoryName("https://c:4318/v1/traces");
  EXPECT_TRUE(name.starts_with("https___c_4318_v1_traces-")) << name;
  EXPECT_EQ(name.find('/'), std::string::npos);
  EXPECT_LT(Spool::DirectoryName(std::string(500, 'x')).size(), 100u);

  TempDir root;
  std::string error;
  Spool a(root.path(), "a:1");
  Spool b(root.path(), "b:1");
  ASSERT_TRUE(a.Write(SampleBatch(1), &error));
  EXPECT_EQ(a.PendingFiles(), 1u);
  EXPECT_EQ(b.PendingFiles(), 0u);
}

TEST(OtlpSpoolTest, WriteFailureNamesThePath) {
  TempDir root;
  std::ofstream(root.path() / "not-a-dir") << "x";
  Spool spool(root.path() / "not-a-dir", "collector:4317");
  std::string error;
  EXPECT_FALSE(spool.Write(SampleBatch(1), &error));
  EXPECT_NE(error.find("not-a-dir"), std::string::npos) << error;
  EXPECT_EQ(spool.PendingFiles(), 0u);
}

}  // namespace
}  // namespace weft::trace::otlp
