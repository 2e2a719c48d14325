#include "trace/otlp/receiver_fixture.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace weft::trace::otlp::testing {
namespace {

constexpr int kStartTimeoutMs = 30'000;

std::filesystem::path SourceDir() {
  if (const char* dir = std::getenv("WEFT_SOURCE_DIR")) return dir;
  return WEFT_DEFAULT_SOURCE_DIR;
}

std::filesystem::path ReceiverDir() { return SourceDir() / "tests" / "otlp-receiver"; }

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Runs argv with stdout and stderr to log; returns its pid, or -1.
pid_t Spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Blocks until `name` appears in dir (renamed or written into it) or the child exits.
bool WaitForFile(const std::filesystem::path& dir, const std::string& name, pid_t child) {
  Fd watch(inotify_init1(IN_CLOEXEC));
  inotify_add_watch(watch.get(), dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE);
  Fd child_fd(static_cast<int>(syscall(SYS_pidfd_open, child, 0)));
  for (;;) {
    if (std::filesystem::exists(dir / name)) return true;
    pollfd fds[2] = {{watch.get(), POLLIN, 0}, {child_fd.get(), POLLIN, 0}};
    int ready = poll(fds, child_fd.get() >= 0 ? 2 : 1, kStartTimeoutMs);
    if (ready <= 0 || (fds[1].revents & POLLIN)) return std::filesystem::exists(dir / name);
    char buffer[4096];
    [[maybe_unused]] ssize_t n = read(watch.get(), buffer, sizeof(buffer));
  }
}

std::filesystem::path MakeCerts() {
  static TempDir certs_root;
  std::filesystem::path dir = certs_root.path() / "certs";
  pid_t pid = Spawn({"sh", (ReceiverDir() / "make-certs.sh").string(), dir.string()},
                    certs_root.path() / "make-certs.log");
  int status = -1;
  if (pid > 0) waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "make-certs.sh failed: " << ReadText(certs_root.path() / "make-certs.log");
  return dir;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "weft-otlp-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path OtlpReceiver::CertsDir() {
  static const std::filesystem::path dir = MakeCerts();
  return dir;
}

OtlpReceiver::OtlpReceiver(ReceiverOptions options) {
  std::vector<std::string> argv = {"node",          (ReceiverDir() / "receiver.js").string(),
                                   "--out",         (dir_.path() / "requests.jsonl").string(),
                                   "--port-file",   (dir_.path() / "ports.json").string(),
                                   "--grpc-port",   std::to_string(options.grpc_port),
                                   "--http-port",   std::to_string(options.http_port),
                                   "--tls",         options.tls,
                                   "--fault",       options.fault,
                                   "--retry-after", std::to_string(options.retry_after_seconds),
                                   "--delay-ms",    std::to_string(options.delay_ms),
                                   "--rejected",    std::to_string(options.rejected),
                                   "--message",     options.message};
  if (options.fault_count >= 0) {
    argv.insert(argv.end(), {"--fault-count", std::to_string(options.fault_count)});
  }
  if (options.tls != "none") argv.insert(argv.end(), {"--certs", CertsDir().string()});
  pid_ = Spawn(argv, dir_.path() / "receiver.log");
  if (pid_ < 0) {
    ADD_FAILURE() << "cannot start node";
    return;
  }
  if (!WaitForFile(dir_.path(), "ports.json", pid_)) {
    ADD_FAILURE() << "the OTLP receiver did not start: " << ReadText(dir_.path() / "receiver.log");
    return;
  }
  nlohmann::json ports = nlohmann::json::parse(ReadText(dir_.path() / "ports.json"));
  grpc_port_ = ports.at("grpc").get<int>();
  http_port_ = ports.at("http").get<int>();
}

OtlpReceiver::~OtlpReceiver() { Stop(); }

void OtlpReceiver::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::vector<nlohmann::json> OtlpReceiver::Requests() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir_.path() / "requests.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

std::vector<nlohmann::json> OtlpReceiver::Spans(const std::string& answer) const {
  std::vector<nlohmann::json> spans;
  for (const nlohmann::json& request : Requests()) {
    if (request.at("answer") != answer) continue;
    for (const auto& rs : request.at("resourceSpans")) {
      for (const auto& ss : rs.at("scopeSpans")) {
        for (const auto& span : ss.at("spans")) spans.push_back(span);
      }
    }
  }
  return spans;
}

ExportConfig ConfigFor(dag::OtelConfig otel) {
  otel.enabled = true;
  ExportConfigSources sources;
  sources.otel = &otel;
  sources.dag_name = "fixture";
  sources.getenv = [](std::string_view) { return std::optional<std::string>(); };
  ResolvedExportConfig resolved = ResolveExportConfig(sources);
  EXPECT_TRUE(resolved.ok()) << ::testing::PrintToString(resolved.errors);
  return resolved.config;
}

ExportBatch SampleBatch(int count) {
  ExportBatch batch;
  batch.resource = {{"service.name", std::string("weft-fixture")},
                    {"process.pid", std::int64_t{4242}}};
  batch.scope_name = "weft";
  batch.scope_version = "9.9.9";
  TraceId trace;
  for (std::size_t i = 0; i < trace.bytes.size(); ++i)
    trace.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  for (int i = 0; i < count; ++i) {
    SpanData span;
    span.trace_id = trace;
    span.span_id.bytes = {0x10, 0x20, 0x30, 0x40,
                          0x50, 0x60, 0x70, static_cast<std::uint8_t>(i + 1)};
    if (i > 0) span.parent_span_id.bytes = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x01};
    span.name = i == 0 ? "DAG: fixture" : "Step: s" + std::to_string(i);
    span.kind = i == 0 ? SpanKind::kServer : SpanKind::kInternal;
    span.trace_state = "vendor=x";
    span.start_ns = 1'700'000'000'000'000'000 + i * 1000;
    span.end_ns = span.start_ns + 5'000'000'123;
    span.attributes = {{"step.name", "s" + std::to_string(i)},
                       {"step.exit_code", std::int64_t{i}},
                       {"step.handler", i % 2 == 0},
                       {"ratio", 0.5 + i}};
    span.events.push_back(SpanEvent{"retry", span.start_ns + 10, {{"attempt", std::int64_t{2}}}});
    span.status = StatusCode::kError;
    span.status_message = "exit code " + std::to_string(i);
    batch.spans.push_back(std::move(span));
  }
  return batch;
}

void ExpectReceived(const nlohmann::json& received, const SpanData& sent) {
  EXPECT_EQ(received.at("traceId"), sent.trace_id.Hex());
  EXPECT_EQ(received.at("spanId"), sent.span_id.Hex());
  EXPECT_EQ(received.at("parentSpanId"),
            sent.parent_span_id.IsValid() ? sent.parent_span_id.Hex() : "");
  EXPECT_EQ(received.at("traceState"), sent.trace_state);
  EXPECT_EQ(received.at("name"), sent.name);
  EXPECT_EQ(received.at("kind"), static_cast<int>(sent.kind));
  EXPECT_EQ(received.at("startTimeUnixNano"), std::to_string(sent.start_ns));
  EXPECT_EQ(received.at("endTimeUnixNano"), std::to_string(sent.end_ns));
  EXPECT_EQ(received.at("status").at("code"), static_cast<int>(sent.status));
  EXPECT_EQ(received.at("status").at("message"), sent.status_message);
  const nlohmann::json& attributes = received.at("attributes");
  EXPECT_EQ(attributes.size(), sent.attributes.size());
  for (const auto& [key, value] : sent.attributes) {
    ASSERT_TRUE(attributes.contains(key)) << key;
    const nlohmann::json& got = attributes.at(key);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            EXPECT_EQ(got, (nlohmann::json{{"type", "string"}, {"value", v}})) << key;
          } else if constexpr (std::is_same_v<T, bool>) {
            EXPECT_EQ(got, (nlohmann::json{{"type", "bool"}, {"value", v}})) << key;
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            EXPECT_EQ(got, (nlohmann::json{{"type", "int"}, {"value", std::to_string(v)}})) << key;
          } else {
            EXPECT_EQ(got.at("type"), "double") << key;
            EXPECT_DOUBLE_EQ(got.at("value").get<double>(), v) << key;
          }
        },
        value);
  }
  ASSERT_EQ(received.at("events").size(), sent.events.size());
  for (std::size_t i = 0; i < sent.events.size(); ++i) {
    EXPECT_EQ(received["events"][i].at("name"), sent.events[i].name);
    EXPECT_EQ(received["events"][i].at("timeUnixNano"), std::to_string(sent.events[i].time_ns));
    EXPECT_EQ(received["events"][i].at("attributes").size(), sent.events[i].attributes.size());
  }
}

int UnusedPort() {
  Fd sock(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "cannot find a free port";
    return 0;
  }
  return ntohs(addr.sin_port);
}

}  // namespace weft::trace::otlp::testing
