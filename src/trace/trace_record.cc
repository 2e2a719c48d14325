#include "trace/trace_record.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

namespace weft::trace {

std::unique_ptr<TraceRecordSink> TraceRecordSink::Open(const std::filesystem::path& run_dir,
                                                       Attributes resource,
                                                       std::string scope_version,
                                                       std::string* error, std::size_t batch_size) {
  std::filesystem::path path = run_dir / kTraceRecordFileName;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error) {
      *error = fmt::format("cannot open trace record {}: {}", path.string(), std::strerror(errno));
    }
    return nullptr;
  }
  return std::unique_ptr<TraceRecordSink>(new TraceRecordSink(
      fd, std::move(path), std::move(resource), std::move(scope_version), batch_size));
}

TraceRecordSink::TraceRecordSink(int fd, std::filesystem::path path, Attributes resource,
                                 std::string scope_version, std::size_t batch_size)
    : fd_(fd),
      path_(std::move(path)),
      request_(resource, kScopeName, scope_version),
      batch_size_(batch_size == 0 ? 1 : batch_size) {}

TraceRecordSink::~TraceRecordSink() {
  WriteBuffered();
  ::close(fd_);
}

void TraceRecordSink::OnSpanEnd(const SpanData& span) {
  request_.Add(span);
  if (request_.span_count() >= batch_size_) WriteBuffered();
}

void TraceRecordSink::Shutdown(std::int64_t /*deadline_ns*/) { WriteBuffered(); }

void TraceRecordSink::WriteBuffered() {
  if (request_.span_count() == 0) return;
  std::string line = request_.Take();
  line.push_back('\n');
  std::size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      RecordWriteError(errno);
      return;
    }
    written += static_cast<std::size_t>(n);
  }
}

void TraceRecordSink::RecordWriteError(int errno_value) {
  if (!error_.empty()) return;
  error_ =
      fmt::format("cannot write trace record {}: {}", path_.string(), std::strerror(errno_value));
}

std::optional<TraceRecordContents> ReadTraceRecord(const std::filesystem::path& file,
                                                   std::string* error) {
  std::ifstream in(file);
  if (!in) {
    if (error) {
      *error = fmt::format("cannot read trace record {}: {}", file.string(), std::strerror(errno));
    }
    return std::nullopt;
  }
  TraceRecordContents contents;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::string problem;
    std::optional<std::vector<ExportBatch>> batches = DecodeExportRequest(line, &problem);
    if (!batches) {
      contents.problems.push_back(fmt::format("line {}: {}", number, problem));
      continue;
    }
    for (ExportBatch& batch : *batches) {
      for (SpanData& span : batch.spans) contents.spans.push_back(std::move(span));
    }
  }
  if (in.bad()) {
    if (error) *error = fmt::format("cannot read trace record {}: read failed", file.string());
    return std::nullopt;
  }
  return contents;
}

}  // namespace weft::trace
