#pragma once

// Batches that could not be delivered, kept on disk until a later export to the same endpoint
// (in this process or the next weft process, or `weft otel flush`) delivers them.
//
// Guarantees:
// - One file per batch (a serialized ExportTraceServiceRequest), mode 0600, in a 0700 directory
//   named after the endpoint. A file appears under its final name only once completely written
//   and synced (written as a hidden temporary, then renamed), so a crash mid-write never leaves a
//   file that is read as a batch.
// - Files are delivered oldest first. A file is claimed with an exclusive flock before it is
//   sent and deleted only after the collector accepted it, so two weft processes draining the
//   same spool never send the same file twice. A crash between acceptance and deletion can send
//   a batch again: delivery is exactly once except for that window.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "trace/span.h"

namespace weft::trace::otlp {

class Spool {
 public:
  // The spool of one endpoint, in root/<DirectoryName(endpoint)>.
  Spool(const std::filesystem::path& root, std::string_view endpoint);

  // Writes the batch as a new file. false, with *error naming the file and the reason, when the
  // disk refused.
  bool Write(const ExportBatch& batch, std::string* error);

  struct DeliveryReport {
    std::size_t files_delivered = 0;
    std::size_t spans_delivered = 0;
    std::size_t files_left = 0;     // not delivered now: send failed, or another process holds them
    std::size_t files_corrupt = 0;  // unreadable as a batch: renamed to *.corrupt and skipped
  };

  // Sends every waiting file through send (true = the collector accepted it), oldest first,
  // deleting each one accepted. Stops at the first rejection: the collector is not taking
  // batches now, and later files keep their order.
  DeliveryReport Deliver(const std::function<bool(const ExportBatch&)>& send);

  // Files waiting for delivery.
  std::size_t PendingFiles() const;

  const std::filesystem::path& directory() const { return directory_; }

  // A readable, collision-free directory name for an endpoint: its characters outside
  // [A-Za-z0-9.-] replaced by '_', then a hash of the exact endpoint.
  static std::string DirectoryName(std::string_view endpoint);

 private:
  std::filesystem::path directory_;
  std::size_t sequence_ = 0;  // makes names unique within this process
};

}  // namespace weft::trace::otlp
