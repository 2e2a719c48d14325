#include "trace/trace_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "trace/ids.h"
#include "trace/otlp_json.h"

namespace weft::trace {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TraceRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "weft-trace-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path file() const { return dir_ / kTraceRecordFileName; }

  std::vector<std::string> Lines() const {
    std::ifstream in(file());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::unique_ptr<TraceRecordSink> OpenSink(std::size_t batch_size) {
    std::string error;
    auto sink = TraceRecordSink::Open(dir_, {{"service.name", std::string("weft-test")}}, "1.2.3",
                                      &error, batch_size);
    EXPECT_TRUE(sink) << error;
    return sink;
  }

  std::filesystem::path dir_;
};

SpanData Span(std::string name, std::uint8_t id) {
  SpanData span;
  span.trace_id.bytes[0] = 1;
  span.span_id.bytes[7] = id;
  span.name = std::move(name);
  span.start_ns = 10;
  span.end_ns = 20;
  return span;
}

std::vector<std::string> SpanNames(const std::string& line) {
  std::vector<std::string> names;
  std::optional<std::vector<ExportBatch>> batches = DecodeExportRequest(line);
  EXPECT_TRUE(batches) << line;
  if (!batches) return names;
  for (const ExportBatch& batch : *batches) {
    for (const SpanData& span : batch.spans) names.push_back(span.name);
  }
  return names;
}

TEST_F(TraceRecordTest, OpenFailsWithTheFileNameWhenTheDirectoryIsMissing) {
  std::string error;
  auto sink = TraceRecordSink::Open(dir_ / "missing", {}, "", &error);
  EXPECT_EQ(sink, nullptr);
  EXPECT_EQ(error, "cannot open trace record " + (dir_ / "missing" / "trace.jsonl").string() +
                       ": No such file or directory");
}

TEST_F(TraceRecordTest, CreatesTheFileOwnerOnly) {
  auto sink = OpenSink(1);
  struct stat info {};
  ASSERT_EQ(::stat(file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(TraceRecordTest, WritesOneRequestLinePerFullBatch) {
  auto sink = OpenSink(2);
  sink->OnSpanEnd(Span("a", 1));
  EXPECT_TRUE(Lines().empty());
  sink->OnSpanEnd(Span("b", 2));
  ASSERT_EQ(Lines().size(), 1u);
  EXPECT_THAT(SpanNames(Lines()[0]), ElementsAre("a", "b"));
  sink->OnSpanEnd(Span("c", 3));
  EXPECT_EQ(Lines().size(), 1u);
}

TEST_F(TraceRecordTest, ShutdownWritesTheRestWithResourceAndScope) {
  auto sink = OpenSink(10);
  sink->OnSpanEnd(Span("a", 1));
  sink->OnSpanEnd(Span("b", 2));
  sink->Shutdown(0);
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  std::optional<std::vector<ExportBatch>> batches = DecodeExportRequest(lines[0]);
  ASSERT_TRUE(batches);
  ASSERT_EQ(batches->size(), 1u);
  EXPECT_EQ((*batches)[0].resource, Attributes({{"service.name", std::string("weft-test")}}));
  EXPECT_EQ((*batches)[0].scope_name, "weft");
  EXPECT_EQ((*batches)[0].scope_version, "1.2.3");
  EXPECT_THAT(SpanNames(lines[0]), ElementsAre("a", "b"));
  EXPECT_EQ(sink->error(), "");
}

TEST_F(TraceRecordTest, ShutdownWithNothingBufferedWritesNothing) {
  auto sink = OpenSink(1);
  sink->OnSpanEnd(Span("a", 1));
  sink->Shutdown(0);
  sink->Shutdown(0);
  EXPECT_EQ(Lines().size(), 1u);
}

TEST_F(TraceRecordTest, DestructorWritesWhatShutdownDidNot) {
  OpenSink(10)->OnSpanEnd(Span("a", 1));
  ASSERT_EQ(Lines().size(), 1u);
  EXPECT_THAT(SpanNames(Lines()[0]), ElementsAre("a"));
}

TEST_F(TraceRecordTest, AppendsToAnExistingRecord) {
  OpenSink(1)->OnSpanEnd(Span("first", 1));
  OpenSink(1)->OnSpanEnd(Span("second", 2));
  std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(SpanNames(lines[0]), ElementsAre("first"));
  EXPECT_THAT(SpanNames(lines[1]), ElementsAre("second"));
}

TEST_F(TraceRecordTest, WriteFailureIsKeptNotThrown) {
  std::filesystem::create_symlink("/dev/full", file());
  auto sink = OpenSink(1);
  sink->OnSpanEnd(Span("a", 1));
  sink->OnSpanEnd(Span("b", 2));
  sink->Shutdown(0);
  EXPECT_EQ(sink->error(),
            "cannot write trace record " + file().string() + ": No space left on device");
}

TEST_F(TraceRecordTest, ReadReturnsSpansOfAllLinesInOrder) {
  auto sink = OpenSink(2);
  for (std::uint8_t i = 1; i <= 5; ++i) sink->OnSpanEnd(Span("s" + std::to_string(i), i));
  sink->Shutdown(0);
  std::optional<TraceRecordContents> contents = ReadTraceRecord(file());
  ASSERT_TRUE(contents);
  std::vector<std::string> names;
  for (const SpanData& span : contents->spans) names.push_back(span.name);
  EXPECT_THAT(names, ElementsAre("s1", "s2", "s3", "s4", "s5"));
  EXPECT_TRUE(contents->problems.empty());
}

TEST_F(TraceRecordTest, ReadSkipsBadLinesAndSaysWhich) {
  {
    auto sink = OpenSink(1);
    sink->OnSpanEnd(Span("kept", 1));
  }
  std::string line = Lines()[0];
  {
    std::ofstream out(file(), std::ios::app);
    out << "\n"
        << R"({"resourceSpans":7})"
        << "\n"
        << line << "\n"
        << line.substr(0, 40);
  }
  std::optional<TraceRecordContents> contents = ReadTraceRecord(file());
  ASSERT_TRUE(contents);
  ASSERT_EQ(contents->spans.size(), 2u);
  EXPECT_EQ(contents->spans[1].name, "kept");
  EXPECT_THAT(contents->problems, ElementsAre("line 3: request.resourceSpans: expected an array",
                                              HasSubstr("line 5: not valid JSON")));
}

TEST_F(TraceRecordTest, ReadOfAMissingFileFails) {
  std::string error;
  EXPECT_FALSE(ReadTraceRecord(file(), &error));
  EXPECT_EQ(error, "cannot read trace record " + file().string() + ": No such file or directory");
}

}  // namespace
}  // namespace weft::trace
