'use strict';
// An OTLP receiver for weft's export tests, independent of weft's own code: it decodes requests
// with the OpenTelemetry project's .proto files (gRPC, through @grpc/proto-loader) and its
// generated protobufjs decoders (HTTP protobuf), and writes what it received as JSON lines.
//
// Usage: node receiver.js --out FILE --port-file FILE [options]
//   --grpc-port N / --http-port N   listen there (default: a free port)
//   --tls none|tls|mtls --certs DIR  DIR holds ca.pem, server.pem, server-key.pem
//   --fault none|unavailable|retry-after|slow|invalid|partial|resource-exhausted
//   --fault-count N   how many requests the fault applies to (default: all)
//   --retry-after S   Retry-After seconds (HTTP) / RetryInfo delay (gRPC)
//   --delay-ms N      how long `slow` waits before answering
//   --rejected N --message TEXT   what `partial` answers
//   --record spans|counts   what a line holds (default spans); counts: the number of spans in
//                     place of the spans, for benchmarks, where the receiver shares the cores
//                     with the run it measures: gRPC requests are then counted on the wire, not
//                     decoded (decoding and converting 1,000 spans took ~15 ms of CPU)
// Once listening it writes {"grpc": port, "http": port} to the port file (temp file + rename).
// Each request becomes one line of the out file, written before the answer is sent:
//   {"request", "transport", "answer", "headers", "resourceSpans": [...]}   (--record spans)
//   {"request", "transport", "answer", "headers", "spanCount": N}           (--record counts)

const fs = require('fs');
const http = require('http');
const https = require('https');
const path = require('path');
const zlib = require('zlib');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs/minimal');
const generated = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

const collector = generated.opentelemetry.proto.collector.trace.v1;

function parseArgs(argv) {
  const args = {
    grpcPort: 0, httpPort: 0, tls: 'none', fault: 'none', faultCount: Infinity,
    retryAfter: 1, delayMs: 0, rejected: 0, message: '', record: 'spans',
  };
  const names = {
    '--out': 'out', '--port-file': 'portFile', '--grpc-port': 'grpcPort', '--http-port': 'httpPort',
    '--tls': 'tls', '--certs': 'certs', '--fault': 'fault', '--fault-count': 'faultCount',
    '--retry-after': 'retryAfter', '--delay-ms': 'delayMs', '--rejected': 'rejected',
    '--message': 'message', '--record': 'record',
  };
  for (let i = 2; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    const numeric = ['grpcPort', 'httpPort', 'faultCount', 'retryAfter', 'delayMs', 'rejected'];
    args[key] = numeric.includes(key) ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!args.out || !args.portFile) throw new Error('--out and --port-file are required');
  if (!['spans', 'counts'].includes(args.record)) throw new Error(`bad --record ${args.record}`);
  return args;
}

const args = parseArgs(process.argv);
let requestCount = 0;
const grpcEncodings = [];  // grpc-encoding of each gRPC request not yet handled

function hex(bytes) {
  if (bytes === undefined || bytes === null) return '';
  if (typeof bytes === 'string') return bytes.toLowerCase();  // OTLP/JSON ids are hex already
  return Buffer.from(bytes).toString('hex');
}

function text(value) {
  return value === undefined || value === null ? '0' : value.toString();
}

// One attribute value as {"type", "value"}, the same whatever the encoding was.
function anyValue(v) {
  if (!v) return { type: 'empty', value: null };
  if (v.stringValue !== undefined && v.stringValue !== null) return { type: 'string', value: v.stringValue };
  if (v.boolValue !== undefined && v.boolValue !== null) return { type: 'bool', value: v.boolValue };
  if (v.intValue !== undefined && v.intValue !== null) return { type: 'int', value: text(v.intValue) };
  if (v.doubleValue !== undefined && v.doubleValue !== null) return { type: 'double', value: Number(v.doubleValue) };
  if (v.arrayValue) return { type: 'array', value: (v.arrayValue.values || []).map(anyValue) };
  if (v.kvlistValue) return { type: 'kvlist', value: attributes(v.kvlistValue.values) };
  if (v.bytesValue) return { type: 'bytes', value: hex(v.bytesValue) };
  return { type: 'empty', value: null };
}

function attributes(list) {
  const out = {};
  for (const kv of list || []) out[kv.key] = anyValue(kv.value);
  return out;
}

function span(s) {
  return {
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentSpanId: hex(s.parentSpanId),
    traceState: s.traceState || '',
    flags: s.flags || 0,
    name: s.name,
    kind: Number(s.kind || 0),
    startTimeUnixNano: text(s.startTimeUnixNano),
    endTimeUnixNano: text(s.endTimeUnixNano),
    attributes: attributes(s.attributes),
    events: (s.events || []).map((e) => ({
      name: e.name, timeUnixNano: text(e.timeUnixNano), attributes: attributes(e.attributes),
    })),
    status: { code: Number((s.status && s.status.code) || 0), message: (s.status && s.status.message) || '' },
  };
}

function decodeRequest(request) {
  return (request.resourceSpans || []).map((rs) => ({
    resource: attributes(rs.resource && rs.resource.attributes),
    scopeSpans: (rs.scopeSpans || []).map((ss) => ({
      scope: { name: (ss.scope && ss.scope.name) || '', version: (ss.scope && ss.scope.version) || '' },
      spans: (ss.spans || []).map(span),
    })),
  }));
}

function spanCount(request) {
  if (request instanceof CountedRequest) return request.spanCount;
  let count = 0;
  for (const rs of (request && request.resourceSpans) || []) {
    for (const ss of rs.scopeSpans || []) count += (ss.spans || []).length;
  }
  return count;
}

function record(transport, answer, headers, request) {
  requestCount += 1;
  const line = { request: requestCount, transport, answer, headers };
  if (args.record === 'counts') {
    line.spanCount = spanCount(request);
  } else {
    line.resourceSpans = request ? decodeRequest(request) : [];
  }
  fs.appendFileSync(args.out, JSON.stringify(line) + '\n');
}

// The fault this request gets, or 'none' once fault-count requests have had it.
function faultFor(index) {
  return index <= args.faultCount ? args.fault : 'none';
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// google.rpc.Status{code, message, details: [Any(google.rpc.RetryInfo{retry_delay})]}, encoded
// field by field with protobufjs's writer (no .proto for these ships with the OTel packages).
function statusWithRetryInfo(code, message, seconds) {
  const duration = protobuf.Writer.create().uint32((1 << 3) | 0).int64(seconds).finish();
  const retryInfo = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(duration).finish();
  const any = protobuf.Writer.create()
    .uint32((1 << 3) | 2).string('type.googleapis.com/google.rpc.RetryInfo')
    .uint32((2 << 3) | 2).bytes(retryInfo).finish();
  return Buffer.from(protobuf.Writer.create()
    .uint32((1 << 3) | 0).int32(code)
    .uint32((2 << 3) | 2).string(message)
    .uint32((3 << 3) | 2).bytes(any).finish());
}

// ---- gRPC ----

// A gRPC request whose spans were counted on the wire (--record counts).
class CountedRequest {
  constructor(spanCount) { this.spanCount = spanCount; }
}

// The number of the field `name` of message `type` in the official .proto files.
function fieldNumber(definition, type, name) {
  const field = definition[type].type.field.find((f) => f.name === name);
  if (!field) throw new Error(`${type} has no field ${name}`);
  return field.number;
}

// Counts the messages at the end of `path` (field numbers of nested length-delimited fields)
// between the reader's position and `end`, skipping every other field; malformed input throws,
// which grpc-js answers with an error.
function countNested(reader, end, path) {
  let count = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === path[0] && (tag & 7) === 2) {
      const length = reader.uint32();
      if (path.length === 1) {
        reader.skip(length);
        count += 1;
      } else {
        count += countNested(reader, reader.pos + length, path.slice(1));
      }
    } else {
      reader.skipType(tag & 7);
    }
  }
  if (reader.pos !== end) throw new Error('a field runs past the end of its message');
  return count;
}

// ExportTraceServiceRequest.resource_spans -> ResourceSpans.scope_spans -> ScopeSpans.spans.
function spanCounter(definition) {
  const path = [
    fieldNumber(definition, 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest', 'resourceSpans'),
    fieldNumber(definition, 'opentelemetry.proto.trace.v1.ResourceSpans', 'scopeSpans'),
    fieldNumber(definition, 'opentelemetry.proto.trace.v1.ScopeSpans', 'spans'),
  ];
  return (buffer) => new CountedRequest(countNested(protobuf.Reader.create(buffer), buffer.length, path));
}

function startGrpc() {
  const protoDir = path.join(path.dirname(require.resolve('@opentelemetry/otlp-grpc-exporter-base/package.json')), 'build', 'protos');
  const definition = protoLoader.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', {
    includeDirs: [protoDir], keepCase: false, longs: String, enums: Number, defaults: false, oneofs: false,
  });
  const loaded = grpc.loadPackageDefinition(definition).opentelemetry.proto.collector.trace.v1.TraceService.service;
  // The 0.38.0 .proto predates ExportTraceServiceResponse.partial_success: answers are encoded
  // with the newer generated code of @opentelemetry/otlp-transformer instead.
  const service = {
    Export: {
      ...loaded.Export,
      responseSerialize: (value) => Buffer.from(collector.ExportTraceServiceResponse.encode(
        collector.ExportTraceServiceResponse.fromObject(value)).finish()),
    },
  };
  if (args.record === 'counts') service.Export.requestDeserialize = spanCounter(definition);
  const server = new grpc.Server();
  server.addService(service, {
    Export: async (call, callback) => {
      const headers = {};
      for (const [key, value] of Object.entries(call.metadata.getMap())) headers[key] = value.toString();
      const encoding = grpcEncodings.shift();
      if (encoding) headers['grpc-encoding'] = encoding;
      const fault = faultFor(requestCount + 1);
      if (fault === 'slow') await delay(args.delayMs);
      if (fault === 'unavailable') {
        record('grpc', 'UNAVAILABLE', headers, call.request);
        return callback({ code: grpc.status.UNAVAILABLE, details: 'receiver fault: unavailable' });
      }
      if (fault === 'invalid') {
        record('grpc', 'INVALID_ARGUMENT', headers, call.request);
        return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'receiver fault: invalid argument' });
      }
      if (fault === 'resource-exhausted' || fault === 'retry-after') {
        record('grpc', 'RESOURCE_EXHAUSTED', headers, call.request);
        const metadata = new grpc.Metadata();
        metadata.set('grpc-status-details-bin', statusWithRetryInfo(grpc.status.RESOURCE_EXHAUSTED, 'receiver fault: slow down', args.retryAfter));
        return callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'receiver fault: slow down', metadata });
      }
      if (fault === 'partial') {
        record('grpc', 'partial', headers, call.request);
        return callback(null, { partialSuccess: { rejectedSpans: String(args.rejected), errorMessage: args.message } });
      }
      record('grpc', 'ok', headers, call.request);
      return callback(null, {});
    },
  });
  let credentials = grpc.ServerCredentials.createInsecure();
  if (args.tls !== 'none') {
    credentials = grpc.ServerCredentials.createSsl(
      fs.readFileSync(path.join(args.certs, 'ca.pem')),
      [{ private_key: fs.readFileSync(path.join(args.certs, 'server-key.pem')), cert_chain: fs.readFileSync(path.join(args.certs, 'server.pem')) }],
      args.tls === 'mtls');
  }
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${args.grpcPort}`, credentials, (error, port) => {
      if (error) return reject(error);
      // grpc-js drops grpc-encoding from the metadata it hands to handlers; read it from the
      // HTTP/2 request headers instead (through grpc-js's internal server list), so tests can see
      // that a request was compressed. Requests are answered in arrival order.
      for (const http2Server of server.http2Servers.keys()) {
        http2Server.prependListener('stream', (stream, headers) => grpcEncodings.push(headers['grpc-encoding'] || ''));
      }
      return resolve(port);
    });
  });
}

// ---- HTTP ----

function decodeHttpBody(contentType, body) {
  if (contentType.startsWith('application/json')) return JSON.parse(body.toString('utf8'));
  if (contentType.startsWith('application/x-protobuf')) {
    return collector.ExportTraceServiceRequest.toObject(collector.ExportTraceServiceRequest.decode(body), { longs: String, enums: Number });
  }
  throw new Error(`unsupported Content-Type ${contentType}`);
}

function answer(res, contentType, status, extraHeaders, message) {
  const json = contentType.startsWith('application/json');
  let body;
  if (json) body = Buffer.from(JSON.stringify(message || {}));
  else if (status === 200) body = Buffer.from(collector.ExportTraceServiceResponse.encode(collector.ExportTraceServiceResponse.fromObject(message || {})).finish());
  else body = Buffer.from(message && message.message ? message.message : '');
  res.writeHead(status, { 'Content-Type': json ? 'application/json' : (status === 200 ? 'application/x-protobuf' : 'text/plain'), ...extraHeaders });
  res.end(body);
}

async function handleHttp(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  let body = Buffer.concat(chunks);
  const headers = { ...req.headers };
  if (req.method !== 'POST' || req.url !== '/v1/traces') {
    record('http', '404', headers, null);
    res.writeHead(404).end();
    return;
  }
  const contentType = req.headers['content-type'] || '';
  const transport = contentType.startsWith('application/json') ? 'http/json' : 'http/protobuf';
  let request;
  try {
    if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
    request = decodeHttpBody(contentType, body);
  } catch (error) {
    record(transport, '400', headers, null);
    answer(res, contentType, 400, {}, { message: `cannot decode: ${error.message}` });
    return;
  }
  const fault = faultFor(requestCount + 1);
  if (fault === 'slow') await delay(args.delayMs);
  if (fault === 'unavailable') {
    record(transport, '503', headers, request);
    answer(res, contentType, 503, {}, { message: 'receiver fault: unavailable' });
  } else if (fault === 'retry-after' || fault === 'resource-exhausted') {
    record(transport, '503', headers, request);
    answer(res, contentType, 503, { 'Retry-After': String(args.retryAfter) }, { message: 'receiver fault: retry later' });
  } else if (fault === 'invalid') {
    record(transport, '400', headers, request);
    answer(res, contentType, 400, {}, { message: 'receiver fault: invalid argument' });
  } else if (fault === 'partial') {
    record(transport, 'partial', headers, request);
    answer(res, contentType, 200, {}, { partialSuccess: { rejectedSpans: String(args.rejected), errorMessage: args.message } });
  } else {
    record(transport, 'ok', headers, request);
    answer(res, contentType, 200, {}, {});
  }
}

function startHttp() {
  const handler = (req, res) => handleHttp(req, res).catch((error) => {
    process.stderr.write(`receiver: ${error.stack}\n`);
    res.writeHead(500).end();
  });
  let server;
  if (args.tls === 'none') {
    server = http.createServer(handler);
  } else {
    server = https.createServer({
      key: fs.readFileSync(path.join(args.certs, 'server-key.pem')),
      cert: fs.readFileSync(path.join(args.certs, 'server.pem')),
      ca: fs.readFileSync(path.join(args.certs, 'ca.pem')),
      requestCert: args.tls === 'mtls',
      rejectUnauthorized: args.tls === 'mtls',
      minVersion: 'TLSv1.2',
    }, handler);
  }
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.httpPort, '127.0.0.1', () => resolve(server.address().port));
  });
}

async function main() {
  const [grpcPort, httpPort] = await Promise.all([startGrpc(), startHttp()]);
  const temp = `${args.portFile}.tmp`;
  fs.writeFileSync(temp, JSON.stringify({ grpc: grpcPort, http: httpPort }));
  fs.renameSync(temp, args.portFile);
}

process.on('SIGTERM', () => process.exit(0));
main().catch((error) => {
  process.stderr.write(`receiver: ${error.stack}\n`);
  process.exit(1);
});
