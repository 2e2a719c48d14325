#include "dag/base_merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dag/yaml_fixture.h"

namespace weft::dag {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;

class BaseMergeTest : public YamlFixture {
 protected:
  // `dag` with `base` merged under it.
  DagDraft Merge(const std::string& base, const std::string& dag, bool with_handlers = true) {
    const DagDraft base_draft =
        ParseDagDocument(Parse(base), DocumentRole::kBase, LogOutput::kSeparate, log_);
    DagDraft dag_draft =
        ParseDagDocument(Parse(dag), DocumentRole::kMain, LogOutput::kSeparate, log_);
    EXPECT_THAT(log_.errors(), IsEmpty());
    MergeBase(base_draft, with_handlers, dag_draft);
    return dag_draft;
  }
};

TEST_F(BaseMergeTest, UnsetFieldsComeFromBase) {
  const DagDraft merged = Merge(
      "description: from base\ntype: graph\nmax_active_steps: 3\ntimeout_sec: 60\n"
      "delay_sec: 1\nshell: bash\nworking_dir: /srv\nlog_dir: /logs\n"
      "preconditions: [test -d /srv]\nmax_output_size: 10\nmax_clean_up_time_sec: 2\n"
      "hist_retention_days: 9\nlabels: [team=data]\ngroup: g\nschedule: '@daily'\n"
      "secrets: [TOKEN]\nparams: P=1\n",
      "steps: [echo hi]\n");
  const Dag& dag = merged.dag;
  EXPECT_EQ(dag.description, "from base");
  EXPECT_THAT(merged.declared_type, Optional(DagType::kGraph));
  EXPECT_EQ(dag.max_active_steps, 3);
  EXPECT_EQ(dag.timeout_sec, 60);
  EXPECT_EQ(dag.delay_sec, 1);
  EXPECT_EQ(dag.shell, "bash");
  EXPECT_EQ(dag.working_dir, "/srv");
  EXPECT_EQ(dag.log_dir, "/logs");
  ASSERT_EQ(dag.preconditions.size(), 1u);
  EXPECT_EQ(dag.max_output_size, 10u);
  EXPECT_EQ(dag.max_clean_up_time_sec, 2);
  EXPECT_EQ(dag.hist_retention_days, 9);
  EXPECT_THAT(dag.labels, ElementsAre(Pair("team", "data")));
  EXPECT_EQ(dag.group, "g");
  EXPECT_THAT(dag.schedule, ElementsAre("@daily"));
  EXPECT_THAT(dag.secrets, ElementsAre("TOKEN"));
  ASSERT_EQ(dag.params.size(), 1u);
  EXPECT_TRUE(merged.Sets("timeout_sec"));
}

TEST_F(BaseMergeTest, FieldsTheDagSetsWinEvenZeroAndFalse) {
  const DagDraft merged = Merge(
      "timeout_sec: 60\nmax_active_steps: 3\ntype: graph\nshell: bash\n"
      "otel: {enabled: true, insecure: true}\n",
      "timeout_sec: 0\nmax_active_steps: 0\ntype: chain\nshell: sh\n"
      "otel: {enabled: false}\nsteps: [a]\n");
  EXPECT_EQ(merged.dag.timeout_sec, 0);
  EXPECT_EQ(merged.dag.max_active_steps, 0);
  EXPECT_THAT(merged.declared_type, Optional(DagType::kChain));
  EXPECT_EQ(merged.dag.shell, "sh");
  EXPECT_THAT(merged.dag.otel.enabled, Optional(false));
  EXPECT_THAT(merged.dag.otel.insecure, Optional(true));  // not written in the DAG
}

TEST_F(BaseMergeTest, EnvAndDotenvAreConcatenatedBaseFirst) {
  const DagDraft merged = Merge("env: [A=base, B=base]\ndotenv: [/etc/weft.env]\n",
                                "env: [A=dag]\ndotenv: .env\nsteps: [x]\n");
  EXPECT_THAT(merged.dag.env,
              ElementsAre(Field(&EnvEntry::value, "base"), Field(&EnvEntry::value, "base"),
                          Field(&EnvEntry::value, "dag")));
  EXPECT_THAT(merged.dag.dotenv, ElementsAre("/etc/weft.env", ".env"));
}

TEST_F(BaseMergeTest, OtelMergesFieldByFieldAndMapsKeyByKey) {
  const DagDraft merged = Merge(
      "otel:\n"
      "  enabled: true\n"
      "  endpoint: otel-collector:4317\n"
      "  timeout: 10s\n"
      "  headers: {Authorization: base-token, X-Team: data}\n"
      "  resource: {deployment.environment: production, service.name: base}\n",
      "otel:\n"
      "  timeout: 2s\n"
      "  headers: {Authorization: dag-token}\n"
      "  resource:\n"
      "    service.name: \"dagu-${DAG_NAME}\"\n"
      "steps: [x]\n");
  const OtelConfig& otel = merged.dag.otel;
  EXPECT_THAT(otel.enabled, Optional(true));
  EXPECT_THAT(otel.endpoint, Optional(std::string("otel-collector:4317")));
  EXPECT_THAT(otel.timeout, Optional(std::string("2s")));
  EXPECT_THAT(otel.headers,
              ElementsAre(Pair("Authorization", "dag-token"), Pair("X-Team", "data")));
  EXPECT_THAT(otel.resource,
              ElementsAre(Pair("deployment.environment", AttributeValue("production")),
                          Pair("service.name", AttributeValue("dagu-${DAG_NAME}"))));
  EXPECT_EQ(otel.where.line, 2);  // the DAG's block, which starts under `otel:`
}

TEST_F(BaseMergeTest, OtelOnlyFromBaseHasNoPlaceInTheDagFile) {
  const DagDraft merged = Merge("otel: {enabled: true}\n", "steps: [x]\n");
  EXPECT_THAT(merged.dag.otel.enabled, Optional(true));
  EXPECT_EQ(merged.dag.otel.where.line, 0);
}

TEST_F(BaseMergeTest, NameAndStepsAreNeverInherited) {
  const DagDraft merged = Merge("name: base\nsteps: [from-base]\n", "steps: [from-dag]\n");
  EXPECT_EQ(merged.dag.name, "");
  ASSERT_EQ(merged.dag.steps.size(), 1u);
  EXPECT_THAT(merged.dag.steps[0].commands, ElementsAre("from-dag"));
}

TEST_F(BaseMergeTest, HandlersMergePerHandlerForRootRuns) {
  const DagDraft merged = Merge("handler_on: {failure: notify.sh, exit: cleanup.sh}\n",
                                "handler_on: {exit: own-cleanup.sh}\nsteps: [x]\n");
  ASSERT_TRUE(merged.dag.handler_on.failure.has_value());
  EXPECT_THAT(merged.dag.handler_on.failure->commands, ElementsAre("notify.sh"));
  EXPECT_THAT(merged.dag.handler_on.exit->commands, ElementsAre("own-cleanup.sh"));
  EXPECT_FALSE(merged.dag.handler_on.success.has_value());
}

TEST_F(BaseMergeTest, ChildRunsGetNoHandlersFromBase) {
  const DagDraft merged = Merge("handler_on: {failure: notify.sh}\n",
                                "handler_on: {exit: own.sh}\nsteps: [x]\n", false);
  EXPECT_FALSE(merged.dag.handler_on.failure.has_value());
  EXPECT_TRUE(merged.dag.handler_on.exit.has_value());
}

TEST_F(BaseMergeTest, EmptyBaseChangesNothing) {
  const DagDraft merged = Merge("{}\n", "timeout_sec: 5\nsteps: [x]\n");
  EXPECT_EQ(merged.dag.timeout_sec, 5);
  EXPECT_THAT(merged.dag.env, IsEmpty());
  EXPECT_EQ(merged.dag.otel.enabled, std::nullopt);
}

}  // namespace
}  // namespace weft::dag
