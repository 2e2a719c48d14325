'use strict';
// An instrumented step program for weft's propagation tests, written only against the official
// OpenTelemetry JavaScript SDK: it continues the trace context weft gives it in TRACEPARENT
// (W3C Trace Context through the environment) and exports one span over OTLP/HTTP protobuf.
//
// Usage: node peer.js URL SPAN_NAME     (URL like http://127.0.0.1:4318/v1/traces)
// Exits non-zero when TRACEPARENT is missing or invalid, or the export fails.

const api = require('@opentelemetry/api');
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');

// The remote parent named by TRACEPARENT ("00-<trace id>-<span id>-<flags>").
function parentContext(traceparent) {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent || '');
  const spanContext = match && {
    traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16), isRemote: true,
  };
  if (!spanContext || !api.isSpanContextValid(spanContext)) {
    throw new Error(`no valid TRACEPARENT in the environment (got "${traceparent || ''}")`);
  }
  return api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext);
}

async function main() {
  const [url, spanName] = process.argv.slice(2);
  if (!url || !spanName) throw new Error('usage: node peer.js URL SPAN_NAME');
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  const tracer = provider.getTracer('weft-peer');
  tracer.startSpan(spanName, {}, parentContext(process.env.TRACEPARENT)).end();
  await provider.forceFlush();
  await provider.shutdown();
}

main().catch((error) => {
  console.error(`peer: ${error.message}`);
  process.exit(1);
});
