#pragma once

// The run's own trace record: `<run_dir>/trace.jsonl`, one OTLP/JSON ExportTraceServiceRequest
// per line (the OpenTelemetry Collector file exporter's format). Kept for every run, with or
// without a collector, so that `weft trace` can draw the run offline.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/otlp_json.h"
#include "trace/span.h"

namespace weft::trace {

inline constexpr std::string_view kTraceRecordFileName = "trace.jsonl";

// A SpanSink that appends finished spans to a run's trace record. Spans are encoded as they
// end and written `batch_size` at a time as one line each, so a 1000-step run costs a handful of
// writes; Shutdown (and the destructor) writes the rest, so everything handed over is in the
// file once Shutdown returns. Lines are written with single appends to an O_APPEND file (0600):
// a crash of weft can lose the unwritten tail, never corrupt an earlier line. No fsync, as for
// the step logs and the store's commits (SQLite synchronous=NORMAL): what is written survives
// weft's death; a power loss may take the last seconds, and a sync would cost every run ~2-5 ms.
// Write failures do not throw (the engine's thread must go on): the first one is kept in error().
class TraceRecordSink : public SpanSink {
 public:
  static constexpr std::size_t kDefaultBatchSize = 128;

  // Opens (creating if needed) `<run_dir>/trace.jsonl`. Returns nullptr and sets `error` when
  // the file cannot be opened.
  static std::unique_ptr<TraceRecordSink> Open(const std::filesystem::path& run_dir,
                                               Attributes resource, std::string scope_version,
                                               std::string* error,
                                               std::size_t batch_size = kDefaultBatchSize);
  ~TraceRecordSink() override;
  TraceRecordSink(const TraceRecordSink&) = delete;
  TraceRecordSink& operator=(const TraceRecordSink&) = delete;

  void OnSpanEnd(const SpanData& span) override;
  // Local disk only: the deadline is not needed to bound the work.
  void Shutdown(std::int64_t deadline_ns) override;

  // The first write failure, with the file name; "" when all went well.
  const std::string& error() const { return error_; }

 private:
  TraceRecordSink(int fd, std::filesystem::path path, Attributes resource,
                  std::string scope_version, std::size_t batch_size);
  void WriteBuffered();
  void RecordWriteError(int errno_value);

  int fd_;
  std::filesystem::path path_;
  ExportRequestJson request_;  // the spans not yet written, encoded
  std::size_t batch_size_;
  std::string error_;
};

// The spans of a trace record, in file order. Lines that do not decode (a line cut short by
// a crash, a hand edit) are skipped and described in `problems` ("line 3: ...").
struct TraceRecordContents {
  std::vector<SpanData> spans;
  std::vector<std::string> problems;
};

// Reads a trace record file. Returns nullopt and sets `error` when the file cannot be read.
std::optional<TraceRecordContents> ReadTraceRecord(const std::filesystem::path& file,
                                                   std::string* error = nullptr);

}  // namespace weft::trace
