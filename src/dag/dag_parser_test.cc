#include "dag/dag_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dag/diagnostic_matchers.h"
#include "dag/yaml_fixture.h"

namespace weft::dag {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

class DagParserTest : public YamlFixture {
 protected:
  DagDraft Dag(const std::string& text, DocumentRole role = DocumentRole::kMain,
               LogOutput inherited = LogOutput::kSeparate) {
    return ParseDagDocument(Parse(text), role, inherited, log_);
  }
};

TEST_F(DagParserTest, EveryDagFieldInTheV2Dialect) {
  const DagDraft draft =
      Dag("name: etl\n"
          "description: nightly load\n"
          "type: graph\n"
          "params: A=1 B=2\n"
          "env:\n"
          "  - X: 1\n"
          "dotenv: .env.local\n"
          "max_active_steps: 4\n"
          "timeout_sec: 3600\n"
          "delay_sec: 2\n"
          "shell: bash\n"
          "working_dir: /srv\n"
          "log_dir: /var/log/weft\n"
          "handler_on:\n"
          "  success: echo ok\n"
          "  failure:\n"
          "    command: notify.sh\n"
          "  abort: echo aborted\n"
          "  exit: echo bye\n"
          "  init: echo hi\n"
          "preconditions:\n"
          "  - condition: $ENV\n"
          "    expected: prod\n"
          "max_output_size: 2048\n"
          "max_clean_up_time_sec: 9\n"
          "hist_retention_days: 7\n"
          "labels: [team=data, nightly]\n"
          "group: loaders\n"
          "schedule: '0 2 * * *'\n"
          "secrets: [DB_PASSWORD]\n"
          "steps:\n"
          "  - echo hi\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  const struct Dag& dag = draft.dag;
  EXPECT_EQ(dag.name, "etl");
  EXPECT_EQ(dag.description, "nightly load");
  EXPECT_THAT(draft.declared_type, Optional(DagType::kGraph));
  ASSERT_EQ(dag.params.size(), 2u);
  EXPECT_EQ(dag.params[1].name, "B");
  ASSERT_EQ(dag.env.size(), 1u);
  EXPECT_THAT(dag.dotenv, ElementsAre(".env.local"));
  EXPECT_EQ(dag.max_active_steps, 4);
  EXPECT_EQ(dag.timeout_sec, 3600);
  EXPECT_EQ(dag.delay_sec, 2);
  EXPECT_EQ(dag.shell, "bash");
  EXPECT_EQ(dag.working_dir, "/srv");
  EXPECT_EQ(dag.log_dir, "/var/log/weft");
  ASSERT_TRUE(dag.handler_on.success.has_value());
  EXPECT_EQ(dag.handler_on.success->name, "onSuccess");
  EXPECT_THAT(dag.handler_on.failure->commands, ElementsAre("notify.sh"));
  EXPECT_EQ(dag.handler_on.failure->name, "onFailure");
  EXPECT_EQ(dag.handler_on.abort->name, "onAbort");
  EXPECT_EQ(dag.handler_on.exit->name, "onExit");
  EXPECT_EQ(dag.handler_on.init->name, "onInit");
  ASSERT_EQ(dag.preconditions.size(), 1u);
  EXPECT_EQ(dag.preconditions[0].expected, "prod");
  EXPECT_EQ(dag.max_output_size, 2048u);
  EXPECT_EQ(dag.max_clean_up_time_sec, 9);
  EXPECT_EQ(dag.hist_retention_days, 7);
  EXPECT_THAT(dag.labels, ElementsAre(Pair("team", "data"), Pair("nightly", "")));
  EXPECT_EQ(dag.group, "loaders");
  EXPECT_THAT(dag.schedule, ElementsAre("0 2 * * *"));
  EXPECT_THAT(dag.secrets, ElementsAre("DB_PASSWORD"));
  ASSERT_EQ(dag.steps.size(), 1u);
  EXPECT_EQ(draft.depends.size(), 1u);
  EXPECT_EQ(dag.where.line, 1);
}

TEST_F(DagParserTest, EveryDagFieldInTheV1Dialect) {
  const DagDraft draft =
      Dag("maxActiveSteps: 4\n"
          "timeoutSec: 3600\n"
          "delaySec: 2\n"
          "workingDir: /srv\n"
          "logDir: /var/log/weft\n"
          "handlerOn:\n"
          "  cancel: echo cancelled\n"
          "precondition: test -d /srv\n"
          "maxOutputSize: 2048\n"
          "maxCleanUpTimeSec: 9\n"
          "histRetentionDays: 7\n"
          "tags: daily, etl\n"
          "logOutput: merged\n"
          "steps:\n"
          "  - echo hi\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  const struct Dag& dag = draft.dag;
  EXPECT_EQ(dag.max_active_steps, 4);
  EXPECT_EQ(dag.timeout_sec, 3600);
  EXPECT_EQ(dag.delay_sec, 2);
  EXPECT_EQ(dag.working_dir, "/srv");
  EXPECT_EQ(dag.log_dir, "/var/log/weft");
  ASSERT_TRUE(dag.handler_on.abort.has_value());
  EXPECT_THAT(dag.handler_on.abort->commands, ElementsAre("echo cancelled"));
  ASSERT_EQ(dag.preconditions.size(), 1u);
  EXPECT_TRUE(dag.preconditions[0].is_command);
  EXPECT_EQ(dag.max_output_size, 2048u);
  EXPECT_EQ(dag.max_clean_up_time_sec, 9);
  EXPECT_EQ(dag.hist_retention_days, 7);
  EXPECT_THAT(dag.labels, ElementsAre(Pair("daily", ""), Pair("etl", "")));
  EXPECT_THAT(draft.log_output, Optional(LogOutput::kMerged));
  EXPECT_EQ(dag.steps[0].log_output, LogOutput::kMerged);
  EXPECT_THAT(draft.keys,
              ElementsAre("max_active_steps", "timeout_sec", "delay_sec", "working_dir", "log_dir",
                          "handler_on", "preconditions", "max_output_size", "max_clean_up_time_sec",
                          "hist_retention_days", "labels", "log_output", "steps"));
}

TEST_F(DagParserTest, DefaultsStayWhenNothingIsWritten) {
  const DagDraft draft = Dag("steps: [echo hi]\n");
  EXPECT_EQ(draft.declared_type, std::nullopt);
  EXPECT_EQ(draft.dag.max_output_size, 1024u * 1024u);
  EXPECT_EQ(draft.dag.max_clean_up_time_sec, 5);
  EXPECT_EQ(draft.dag.hist_retention_days, 30);
  EXPECT_EQ(draft.dag.max_active_steps, 0);
  EXPECT_TRUE(draft.Sets("steps"));
  EXPECT_FALSE(draft.Sets("timeout_sec"));
}

TEST_F(DagParserTest, MixedDialectsInOneFile) {
  const DagDraft draft =
      Dag("maxActiveSteps: 2\n"
          "timeout_sec: 60\n"
          "steps:\n"
          "  - name: a\n"
          "    command: x\n"
          "    retryPolicy: {limit: 2, interval_sec: 1}\n"
          "    continue_on: {exitCode: [3]}\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_EQ(draft.dag.max_active_steps, 2);
  EXPECT_EQ(draft.dag.timeout_sec, 60);
  EXPECT_EQ(draft.dag.steps[0].retry_policy->interval_sec, "1");
  EXPECT_THAT(draft.dag.steps[0].continue_on->exit_codes, ElementsAre(3));
}

TEST_F(DagParserTest, InheritedLogOutputAppliesUnlessTheDagSetsOne) {
  EXPECT_EQ(Dag("steps: [a]\n", DocumentRole::kMain, LogOutput::kMerged).dag.steps[0].log_output,
            LogOutput::kMerged);
  EXPECT_EQ(Dag("log_output: separate\nsteps: [a]\n", DocumentRole::kMain, LogOutput::kMerged)
                .dag.steps[0]
                .log_output,
            LogOutput::kSeparate);
}

TEST_F(DagParserTest, TheSeedsOtelBlock) {
  const DagDraft draft =
      Dag("otel:\n"
          "  enabled: true\n"
          "  endpoint: \"otel-collector:4317\"\n"
          "  headers:\n"
          "    Authorization: \"Bearer ${OTEL_AUTH_TOKEN}\"\n"
          "  insecure: false\n"
          "  timeout: 30s\n"
          "  resource:\n"
          "    service.name: \"dagu-${DAG_NAME}\"\n"
          "    service.version: \"1.0.0\"\n"
          "    replicas: 3\n"
          "    ratio: 0.5\n"
          "    canary: true\n"
          "    build: '42'\n"
          "steps: [echo hi]\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  const OtelConfig& otel = draft.dag.otel;
  EXPECT_THAT(otel.enabled, Optional(true));
  EXPECT_THAT(otel.endpoint, Optional(std::string("otel-collector:4317")));
  EXPECT_THAT(otel.headers, ElementsAre(Pair("Authorization", "Bearer ${OTEL_AUTH_TOKEN}")));
  EXPECT_THAT(otel.insecure, Optional(false));
  EXPECT_THAT(otel.timeout, Optional(std::string("30s")));
  EXPECT_THAT(
      otel.resource,
      UnorderedElementsAre(Pair("service.name", AttributeValue("dagu-${DAG_NAME}")),
                           Pair("service.version", AttributeValue("1.0.0")),
                           Pair("replicas", AttributeValue(std::int64_t{3})),
                           Pair("ratio", AttributeValue(0.5)), Pair("canary", AttributeValue(true)),
                           Pair("build", AttributeValue("42"))));
  EXPECT_EQ(otel.where.line, 2);
}

TEST_F(DagParserTest, WeftsOtelFieldsInBothDialects) {
  const DagDraft draft =
      Dag("otel:\n"
          "  protocol: http/protobuf\n"
          "  compression: gzip\n"
          "  certificate: /ca.pem\n"
          "  clientCertificate: /c.pem\n"
          "  client_key: /k.pem\n"
          "  sampler: 0.25\n"
          "  propagateExporterEnv: true\n"
          "steps: [a]\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  const OtelConfig& otel = draft.dag.otel;
  EXPECT_THAT(otel.protocol, Optional(std::string("http/protobuf")));
  EXPECT_THAT(otel.compression, Optional(std::string("gzip")));
  EXPECT_THAT(otel.certificate, Optional(std::string("/ca.pem")));
  EXPECT_THAT(otel.client_certificate, Optional(std::string("/c.pem")));
  EXPECT_THAT(otel.client_key, Optional(std::string("/k.pem")));
  EXPECT_THAT(otel.sampler, Optional(0.25));
  EXPECT_THAT(otel.propagate_exporter_env, Optional(true));
}

TEST_F(DagParserTest, OtelValuesAreChecked) {
  const DagDraft draft =
      Dag("otel:\n"
          "  protocol: thrift\n"
          "  compression: zstd\n"
          "  timeout: soon\n"
          "  sampler: 2\n"
          "  enabled: sometimes\n"
          "  headers: {Authorization: [secret-token]}\n"
          "  resource: {a: {b: c}}\n"
          "steps: [a]\n");
  EXPECT_EQ(draft.dag.otel.protocol, std::nullopt);
  EXPECT_EQ(draft.dag.otel.timeout, std::nullopt);
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(
          DiagnosticAt(6, 12, "enabled", "`enabled` must be true or false, not `sometimes`"),
          AllOf(DiagnosticAt(4, 12, "timeout", "`timeout` `soon` is not a duration"),
                WithHint("write e.g. 30s, 500ms, 1m or a number of seconds")),
          DiagnosticAt(2, 13, "protocol",
                       "`protocol` must be one of grpc, http/protobuf, http/json, not `thrift`"),
          DiagnosticAt(3, 16, "compression", "`compression` must be one of gzip, none, not `zstd`"),
          DiagnosticAt(5, 12, "sampler", "`sampler` must be a ratio from 0 to 1, not `2`"),
          DiagnosticAt(7, 13, "headers", "each header must be `Name: value` with a string value"),
          DiagnosticAt(8, 14, "resource", HasSubstr("not a mapping"))));
  for (const Diagnostic& error : log_.errors()) {
    EXPECT_THAT(error.ToString(), ::testing::Not(HasSubstr("secret-token")));
  }
}

TEST_F(DagParserTest, OtelStringsWithVariablesAreCheckedAtRunTime) {
  const DagDraft draft = Dag("otel:\n  protocol: ${PROTO}\n  timeout: ${T}\nsteps: [a]\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_THAT(draft.dag.otel.protocol, Optional(std::string("${PROTO}")));
  EXPECT_THAT(draft.dag.otel.timeout, Optional(std::string("${T}")));
}

TEST_F(DagParserTest, LabelsAsListCommaStringOrMap) {
  EXPECT_THAT(Dag("tags: [a, 'b=c', {d: e}]\nsteps: [x]\n").dag.labels,
              ElementsAre(Pair("a", ""), Pair("b", "c"), Pair("d", "e")));
  EXPECT_THAT(Dag("tags: ' a , b=1 ,, '\nsteps: [x]\n").dag.labels,
              ElementsAre(Pair("a", ""), Pair("b", "1")));
  EXPECT_THAT(Dag("labels: {team: data, tier: 1}\nsteps: [x]\n").dag.labels,
              ElementsAre(Pair("team", "data"), Pair("tier", "1")));
  Dag("labels: [[x]]\nsteps: [x]\n");
  EXPECT_THAT(log_.errors(), ElementsAre(DiagnosticAt(1, 10, "labels", HasSubstr("not a list"))));
}

TEST_F(DagParserTest, ScheduleAsStringListOrStartMap) {
  EXPECT_THAT(Dag("schedule: ['0 1 * * *', '@hourly']\nsteps: [x]\n").dag.schedule,
              ElementsAre("0 1 * * *", "@hourly"));
  EXPECT_THAT(
      Dag("schedule:\n  start: '0 8 * * 1-5'\n  stop: '0 18 * * 1-5'\nsteps: [x]\n").dag.schedule,
      ElementsAre("0 8 * * 1-5"));
  EXPECT_THAT(log_.warnings(), ElementsAre(DiagnosticAt(3, 3, "stop", HasSubstr("ignored"))));
}

TEST_F(DagParserTest, BadScheduleSaysWhy) {
  Dag("schedule: '0 25 * * *'\nsteps: [x]\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(1, 11, "schedule",
                                             "schedule `0 25 * * *`: the hour field `25` is out "
                                             "of range 0-23"),
                                WithHint(HasSubstr("0 2 * * *")))));
}

TEST_F(DagParserTest, SecretsAsNamesOrMaps) {
  EXPECT_THAT(Dag("secrets:\n  - A\n  - name: B\n    provider: env\n    key: B_SRC\nsteps: [x]\n")
                  .dag.secrets,
              ElementsAre("A", "B"));
  Dag("secrets: [1A, {provider: env}]\nsteps: [x]\n");
  Dag("secrets: A\nsteps: [x]\n");
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(
          DiagnosticAt(1, 11, "secrets", "secret `1A` is not a valid variable name"),
          DiagnosticAt(1, 15, "secrets", "a secret needs a `name`"),
          DiagnosticAt(1, 10, "secrets", "`secrets` must be a list of variable names, not `A`")));
}

TEST_F(DagParserTest, WrongValuesAreReportedWithWhatIsExpected) {
  Dag("type: agent\n"
      "max_active_steps: two\n"
      "timeout_sec: -5\n"
      "max_output_size: 1MB\n"
      "handler_on: [x]\n"
      "otel: true\n"
      "steps: [x]\n");
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(
          AllOf(DiagnosticAt(1, 7, "type", "`type` must be `chain` or `graph`, not `agent`"),
                WithHint(HasSubstr("chain runs steps top to bottom"))),
          DiagnosticAt(2, 19, "max_active_steps", HasSubstr("not `two`")),
          DiagnosticAt(3, 14, "timeout_sec",
                       "`timeout_sec` must be a whole number of at least 0, not `-5`"),
          DiagnosticAt(5, 13, "handler_on", HasSubstr("must be a mapping")),
          DiagnosticAt(6, 7, "otel",
                       "`otel` must be a mapping (enabled, endpoint, ...), "
                       "not `true`"),
          DiagnosticAt(4, 18, "max_output_size",
                       "`max_output_size` must be a whole number of at least 0, not "
                       "`1MB`")));
}

TEST_F(DagParserTest, MissingOrEmptyStepsAreErrors) {
  Dag("name: x\n");
  Dag("steps: []\n");
  EXPECT_THAT(log_.errors(), ElementsAre(AllOf(DiagnosticAt(1, 1, "steps", "the DAG has no steps"),
                                               WithHint("add `steps:` with at least one step")),
                                         DiagnosticAt(1, 8, "steps", "`steps` is empty")));
}

TEST_F(DagParserTest, UnknownDagKeySuggestsTheNearest) {
  Dag("maxActiveStep: 2\nsteps: [x]\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(
                  DiagnosticAt(1, 1, "maxActiveStep", "unknown key `maxActiveStep` in the DAG"),
                  WithHint("did you mean `maxActiveSteps`?"))));
}

TEST_F(DagParserTest, IgnoredDaguKeysLoadWithWarnings) {
  const DagDraft draft =
      Dag("mailOn: {failure: true}\n"
          "errorMail: {from: a}\n"
          "maxActiveRuns: 1\n"
          "skipIfSuccessful: true\n"
          "histRetentionDays: 3\n"
          "steps: [x]\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_EQ(log_.warnings().size(), 4u);
  EXPECT_EQ(draft.dag.hist_retention_days, 3);
}

TEST_F(DagParserTest, HandlerKeysAreChecked) {
  Dag("handler_on:\n  sucess: echo\n  cancel: a\n  abort: b\nsteps: [x]\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(2, 3, "sucess", HasSubstr("unknown key")),
                                WithHint("did you mean `success`?")),
                          DiagnosticAt(4, 3, "abort",
                                       "`cancel` and `abort` are two spellings of "
                                       "the same key")));
}

TEST_F(DagParserTest, ADocumentMustBeAMapping) {
  const DagDraft draft = Dag("- a\n- b\n");
  EXPECT_THAT(draft.dag.steps, IsEmpty());
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(1, 1, "",
                                       "a DAG document must be a mapping of keys such as "
                                       "`steps:`, not a list")));
}

TEST_F(DagParserTest, LocalDagsNeedAName) {
  Dag("steps: [x]\n", DocumentRole::kLocal);
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(1, 1, "name", "a DAG after `---` needs a `name`"),
                                WithHint(HasSubstr("by their name")))));
}

TEST_F(DagParserTest, BaseHasNoStepsAndNeedsNone) {
  const DagDraft base = Dag("env: [A=1]\nsteps: [x]\n", DocumentRole::kBase);
  EXPECT_THAT(base.dag.steps, IsEmpty());
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_THAT(log_.warnings(), ElementsAre(DiagnosticAt(2, 1, "steps",
                                                        "`steps` in base.yaml are never "
                                                        "inherited; they are ignored")));
  Dag("env: [A=1]\n", DocumentRole::kBase);
  EXPECT_THAT(log_.errors(), IsEmpty());
}

}  // namespace
}  // namespace weft::dag
