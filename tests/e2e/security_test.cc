// Secrets and file modes end to end (§5.1, §7, issue 7): what `weft start`, `status`, `dry` and
// weft's own error messages show of secret values, what reaches the run store's files, and the
// modes of what weft creates under $WEFT_HOME.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/weft_process.h"

namespace weft::e2e {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr const char* kToken = "tok-5ecret-123456";
constexpr const char* kWebhook = "https://hooks.example/abcdef";

// Params of every kind of secret: by name (API_TOKEN), listed under `secrets:` (WEBHOOK), and
// one that is not secret (REGION).
constexpr const char* kSecretsDag = R"(
secrets:
  - WEBHOOK
params:
  - API_TOKEN: none
  - WEBHOOK: none
  - REGION: eu
steps:
  - name: use
    command: printenv API_TOKEN WEBHOOK REGION
)";

std::vector<std::string> SecretParams() {
  return {"--", std::string("API_TOKEN=") + kToken, std::string("WEBHOOK=") + kWebhook,
          "REGION=us"};
}

std::vector<std::string> With(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

mode_t Mode(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

TEST(SecurityTest, StepsGetSecretValuesButStatusShowsThemMasked) {
  WeftHome home;
  const std::string file = home.WriteFile("secrets.yaml", kSecretsDag);
  Result r = home.Run(With({"start", file}, SecretParams()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, AllOf(Not(HasSubstr(kToken)), Not(HasSubstr(kWebhook))));

  Result status = home.Run({"status", "secrets", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const json run = json::parse(status.out);
  EXPECT_EQ(run["params"], json::parse(R"({"API_TOKEN":"***","WEBHOOK":"***","REGION":"us"})"));
  // The step itself had the real values.
  EXPECT_EQ(ReadFile(run["steps"][0]["stdout_file"]),
            std::string(kToken) + "\n" + kWebhook + "\nus\n");

  Result text = home.Run({"status", "secrets"});
  Result history = home.Run({"history", "--json"});
  EXPECT_THAT(text.out + history.out, AllOf(Not(HasSubstr(kToken)), Not(HasSubstr(kWebhook))));
}

TEST(SecurityTest, RetryRunsAgainWithTheRealSecretValues) {
  WeftHome home;
  // Fails the first time, succeeds when run again; prints the token each time.
  const std::string file = home.WriteFile("flaky.yaml", R"(
params:
  - API_TOKEN: none
steps:
  - name: use
    command: printenv API_TOKEN && if [ -e again ]; then exit 0; fi; touch again; exit 1
)");
  ASSERT_EQ(home.Run({"start", file, "--", std::string("API_TOKEN=") + kToken}).exit_code, 1);
  const json failed = json::parse(home.Run({"status", "flaky", "--json"}).out);
  EXPECT_EQ(failed["params"]["API_TOKEN"], "***");
  Result retry =
      home.Run({"retry", "--quiet", file, "--run-id", failed["run_id"].get<std::string>()});
  ASSERT_EQ(retry.exit_code, 0) << retry.out << retry.err;
  EXPECT_THAT(retry.out + retry.err, Not(HasSubstr(kToken)));
  EXPECT_EQ(ReadFile(failed["steps"][0]["stdout_file"]),
            std::string(kToken) + "\n" + kToken + "\n");
}

TEST(SecurityTest, DryMasksSecretParamsAndValues) {
  WeftHome home;
  const std::string file = home.WriteFile("secrets.yaml", R"(
params:
  - API_TOKEN: none
  - NOTE: none
steps:
  - name: use
    command: 'curl -H "Authorization: Bearer ${API_TOKEN}" https://api.example'
)");
  Result r = home.Run(
      {"dry", file, "--", std::string("API_TOKEN=") + kToken, std::string("NOTE=sent ") + kToken});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("API_TOKEN = ***"));
  EXPECT_THAT(r.out, HasSubstr("NOTE = sent ***"));
  EXPECT_THAT(r.out, HasSubstr("Bearer ${API_TOKEN}"));  // the plan shows commands as written
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(kToken)));
}

TEST(SecurityTest, ErrorMessagesMaskSecretsOfTheEnvironment) {
  WeftHome home;
  const std::string file = home.WriteFile("leak.yaml", R"(
env:
  - LEAKED: "`echo token is $GITHUB_TOKEN >&2; exit 3`"
steps:
  - name: never
    command: "true"
)");
  Result r = home.Run({"start", file}, {std::string("GITHUB_TOKEN=") + kToken});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("token is ***"));
  EXPECT_THAT(r.err, Not(HasSubstr(kToken)));
}

// `dry` and `validate` of a DAG that exports traces, with `otel_fields` added to its `otel`
// block and `secret_name`=kToken in the environment.
struct DryAndValidate {
  Result dry;
  Result validate;
};
DryAndValidate DescribeTracingDag(WeftHome& home, const std::string& otel_fields,
                                  const std::string& secret_name) {
  const std::string file = home.WriteFile("otel.yaml", R"(
otel:
  enabled: true
  endpoint: http://127.0.0.1:1/v1/traces
)" + otel_fields + R"(steps:
  - name: use
    command: "true"
)");
  const std::vector<std::string> env = {secret_name + "=" + kToken};
  return {home.Run({"dry", file}, env), home.Run({"validate", file}, env)};
}

TEST(SecurityTest, HeaderValuesNeverAppearInDryOrValidate) {
  WeftHome home;
  auto [dry, validate] = DescribeTracingDag(
      home, "  headers:\n    Authorization: \"Bearer ${OTEL_AUTH_TOKEN}\"\n", "OTEL_AUTH_TOKEN");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  ASSERT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_THAT(dry.out, HasSubstr("authorization=****"));
  EXPECT_THAT(dry.out + dry.err + validate.out + validate.err, Not(HasSubstr(kToken)));
}

TEST(SecurityTest, StoredErrorsMaskSecretVariablesNotOnlyParams) {
  WeftHome home;
  // The condition's value, the secret, is quoted in the step's and the run's error.
  const std::string file = home.WriteFile("gate.yaml", R"(
preconditions:
  - condition: "$DEPLOY_KEY"
    expected: "never"
steps:
  - name: deploy
    command: "true"
)");
  Result r = home.Run({"start", file}, {std::string("DEPLOY_KEY=") + kToken});
  ASSERT_NE(r.exit_code, 2) << r.err;
  Result status = home.Run({"status", "gate", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(json::parse(status.out)["error"].get<std::string>(), HasSubstr("is \"***\""));
  EXPECT_THAT(status.out + r.out + r.err, Not(HasSubstr(kToken)));
}

// A step error that quotes a secret (here a working dir made of one, which cannot be created:
// nobody, root included, creates directories in /proc) is masked on the terminal, in the
// status and in the span's status message of the trace record.
TEST(SecurityTest, StepErrorsAreMaskedOnTheTerminalAndInSpans) {
  WeftHome home;
  const std::string file = home.WriteFile("deploy.yaml", R"(
steps:
  - name: deploy
    command: "true"
    working_dir: /proc/$DEPLOY_KEY
)");
  Result r = home.Run({"start", file}, {std::string("DEPLOY_KEY=") + kToken});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("cannot create working directory /proc/***"));
  Result status = home.Run({"status", "deploy"});
  EXPECT_THAT(status.out, HasSubstr("/proc/***"));
  int records = 0;
  std::string record;
  for (const auto& entry : fs::recursive_directory_iterator(home.path())) {
    if (entry.path().filename() != "trace.jsonl") continue;
    ++records;
    record = ReadFile(entry.path().string());
  }
  ASSERT_EQ(records, 1);
  EXPECT_THAT(record, HasSubstr("cannot create working directory /proc/***"));
  EXPECT_THAT(r.out + r.err + status.out + record, Not(HasSubstr(kToken)));
}

// The stderr tail of a failed step is read from its log when shown: `weft start` masks it with
// the run's secrets, `weft status` with the values of the run's secret params.
TEST(SecurityTest, TheStderrTailOfAFailedStepIsMaskedWhereverItIsShown) {
  WeftHome home;
  const std::string file = home.WriteFile("use.yaml", R"(
params:
  - API_TOKEN: none
steps:
  - name: use
    command: sh -c 'echo "using $API_TOKEN" >&2; exit 3'
)");
  Result r = home.Run({"start", file, "--", std::string("API_TOKEN=") + kToken});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| using ***"));
  Result status = home.Run({"status", "use"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("| using ***"));
  EXPECT_THAT(r.out + r.err + status.out, Not(HasSubstr(kToken)));
}

// A child run's result, which lands in the calling step's log, shows its params as `weft
// status` does.
TEST(SecurityTest, AChildRunsResultMasksItsSecretParams) {
  WeftHome home;
  const std::string file = home.WriteFile("parent.yaml", std::string(R"(
steps:
  - name: call
    run: child
    params: "API_TOKEN=)") + kToken + R"( REGION=eu"
---
name: child
params:
  - API_TOKEN: none
  - REGION: us
steps:
  - name: c
    command: "true"
)");
  Result r = home.Run({"start", file});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  int logs = 0;
  for (const auto& entry : fs::recursive_directory_iterator(home.path())) {
    if (entry.path().filename() != "0-call.out") continue;
    ++logs;
    const std::string log = ReadFile(entry.path().string());
    EXPECT_THAT(log, AllOf(HasSubstr(R"("API_TOKEN":"***")"), HasSubstr(R"("REGION":"eu")"),
                           Not(HasSubstr(kToken))));
  }
  EXPECT_EQ(logs, 1);
}

TEST(SecurityTest, DryAndValidateMaskSecretsInTheTracingConfig) {
  WeftHome home;
  auto [dry, validate] =
      DescribeTracingDag(home, "  resource:\n    deploy.key: \"${DEPLOY_KEY}\"\n", "DEPLOY_KEY");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  ASSERT_EQ(validate.exit_code, 0) << validate.err;
  EXPECT_THAT(dry.out, HasSubstr("deploy.key"));
  EXPECT_THAT(dry.out + dry.err + validate.out + validate.err, Not(HasSubstr(kToken)));
}

TEST(SecurityTest, EverythingUnderTheHomeIsPrivate) {
  WeftHome home;
  const std::string file = home.WriteFile("modes.yaml", R"(
steps:
  - name: plain
    command: echo out; echo err >&2
  - name: scripted
    script: |
      echo from a script
)");
  ASSERT_EQ(home.Run({"start", file}).exit_code, 0);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(home.path())) {
    if (entry.path().string().find("/scratch") != std::string::npos) continue;  // the test's
    if (entry.is_directory()) {
      EXPECT_EQ(Mode(entry.path()), 0700u) << entry.path();
    } else {
      ++files;
      // Step scripts must be executable by their owner; nothing is readable by anyone else.
      EXPECT_EQ(Mode(entry.path()) & 077, 0u) << entry.path();
      EXPECT_EQ(Mode(entry.path()) & 0600, 0600u) << entry.path();
    }
  }
  EXPECT_GE(files, 5);  // weft.db, two logs per step, the trace record
  EXPECT_EQ(Mode(home.path()), 0700u);
}

TEST(SecurityTest, AnExistingHomeAndStoreAreMadePrivate) {
  WeftHome home;
  const std::string file =
      home.WriteFile("modes.yaml", "steps:\n  - name: a\n    command: 'true'\n");
  ASSERT_EQ(home.Run({"start", file}).exit_code, 0);
  fs::permissions(home.path(), fs::perms(0755));
  fs::permissions(home.path() + "/weft.db", fs::perms(0644));
  ASSERT_EQ(home.Run({"start", file}).exit_code, 0);
  EXPECT_EQ(Mode(home.path()), 0700u);
  EXPECT_EQ(Mode(home.path() + "/weft.db"), 0600u);
}

}  // namespace
}  // namespace weft::e2e
