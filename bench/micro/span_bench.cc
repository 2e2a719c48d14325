// Span encoding: a batch of step spans as OTLP/JSON (the local trace record and the HTTP/JSON
// transport) and as OTLP protobuf (gRPC, HTTP/protobuf and the spool). A run of N steps encodes
// N + 1 spans this way at least once.

#include <benchmark/benchmark.h>

#include <string>

#include "trace/otlp/proto_encoding.h"
#include "trace/otlp_json.h"
#include "trace/span.h"

namespace weft::bench {
namespace {

// `count` step spans with the attributes weft's run tracer writes (docs/tracing.md).
trace::ExportBatch StepSpans(int count) {
  trace::ExportBatch batch;
  batch.resource = {{"service.name", std::string("weft-etl")},
                    {"telemetry.sdk.name", std::string("weft")},
                    {"telemetry.sdk.language", std::string("cpp")},
                    {"host.name", std::string("bench-host")},
                    {"process.pid", std::int64_t{4242}}};
  batch.scope_version = "0.1.0";
  trace::SpanData span;
  span.trace_id.bytes = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                         0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
  span.parent_span_id.bytes = {0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
  for (int i = 0; i < count; ++i) {
    const std::string name = "step-" + std::to_string(i);
    span.span_id.bytes = {
        1, 2, 3, 4, 5, 6, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    span.name = "Step: " + name;
    span.start_ns = 1'717'200'000'000'000'000 + std::int64_t{i} * 1'000'000;
    span.end_ns = span.start_ns + 650'000;
    span.attributes = {{"step.name", name},
                       {"step.status", std::string("succeeded")},
                       {"step.exit_code", std::int64_t{0}},
                       {"step.retry_count", std::int64_t{0}},
                       {"process.pid", std::int64_t{10'000 + i}},
                       {"cicd.pipeline.task.name", name},
                       {"cicd.pipeline.task.run.id", "0192c3a4-7b7e/" + name},
                       {"cicd.pipeline.task.run.result", std::string("success")}};
    batch.spans.push_back(span);
  }
  return batch;
}

void BM_EncodeOtlpJson(benchmark::State& state) {
  const trace::ExportBatch batch = StepSpans(static_cast<int>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string json = trace::EncodeExportRequest(batch);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / state.range(0);
}
BENCHMARK(BM_EncodeOtlpJson)->Arg(1)->Arg(512);

void BM_SerializeOtlpProto(benchmark::State& state) {
  const trace::ExportBatch batch = StepSpans(static_cast<int>(state.range(0)));
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string proto = trace::otlp::SerializeRequest(batch);
    bytes = proto.size();
    benchmark::DoNotOptimize(proto);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / state.range(0);
}
BENCHMARK(BM_SerializeOtlpProto)->Arg(1)->Arg(512);

}  // namespace
}  // namespace weft::bench
