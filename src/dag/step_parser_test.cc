#include "dag/step_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dag/diagnostic_matchers.h"
#include "dag/yaml_fixture.h"

namespace weft::dag {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

class StepParserTest : public YamlFixture {
 protected:
  // The steps of `text`, a YAML list or mapping of steps.
  ParsedSteps Steps(const std::string& text, LogOutput log_output = LogOutput::kSeparate) {
    return ParseSteps(Parse(text), "steps", log_output, log_);
  }

  // The one step of a list holding `text` as its only item's fields.
  Step One(const std::string& fields) {
    ParsedSteps parsed = Steps(fields);
    EXPECT_EQ(parsed.steps.size(), 1u);
    return parsed.steps.empty() ? Step{} : parsed.steps[0];
  }
};

TEST_F(StepParserTest, PlainStringStepIsACommand) {
  const ParsedSteps parsed = Steps("- echo hello\n- true\n- 3.10\n");
  ASSERT_EQ(parsed.steps.size(), 3u);
  EXPECT_THAT(parsed.steps[0].commands, ElementsAre("echo hello"));
  EXPECT_THAT(parsed.steps[1].commands, ElementsAre("true"));
  EXPECT_THAT(parsed.steps[2].commands, ElementsAre("3.10"));
  EXPECT_EQ(parsed.steps[0].where.line, 1);
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(StepParserTest, ScalarsThatLookLikeBoolsOrNumbersStayCommandText) {
  EXPECT_THAT(One("- command: true\n").commands, ElementsAre("true"));
  EXPECT_THAT(One("- command: false\n").commands, ElementsAre("false"));
  EXPECT_THAT(One("- command: 1.50\n").commands, ElementsAre("1.50"));
  EXPECT_THAT(One("- command: yes\n").commands, ElementsAre("yes"));
  EXPECT_THAT(One("- command: 0x1F\n").commands, ElementsAre("0x1F"));
}

TEST_F(StepParserTest, MultiLineCommandIsAScript) {
  const Step step = One("- command: |\n    echo a\n    echo b\n");
  EXPECT_THAT(step.commands, IsEmpty());
  EXPECT_EQ(step.script, "echo a\necho b\n");
}

TEST_F(StepParserTest, OneLineBlockCommandIsACommand) {
  EXPECT_THAT(One("- command: |\n    echo a\n").commands, ElementsAre("echo a"));
  EXPECT_THAT(One("- command: >\n    echo\n    a\n").commands, ElementsAre("echo a"));
}

TEST_F(StepParserTest, CommandListRunsInTurn) {
  const Step step = One("- command:\n    - echo a\n    - ''\n    - echo b: c\n    - 42\n");
  EXPECT_THAT(step.commands, ElementsAre("echo a", "echo b: c", "42"));
}

TEST_F(StepParserTest, ScriptWithCommandAsInterpreter) {
  const Step step = One("- command: python3\n  script: |\n    print(1)\n");
  EXPECT_THAT(step.commands, ElementsAre("python3"));
  EXPECT_EQ(step.script, "print(1)\n");
}

TEST_F(StepParserTest, StepsAsAMappingAreNamedByTheirKeys) {
  const ParsedSteps parsed = Steps("build:\n  command: make\ntest: make test\n");
  ASSERT_EQ(parsed.steps.size(), 2u);
  EXPECT_EQ(parsed.steps[0].name, "build");
  EXPECT_THAT(parsed.steps[0].commands, ElementsAre("make"));
  EXPECT_EQ(parsed.steps[0].where.line, 1);
  EXPECT_EQ(parsed.steps[1].name, "test");
  EXPECT_THAT(parsed.steps[1].commands, ElementsAre("make test"));
}

TEST_F(StepParserTest, MappingKeyAndADifferentNameConflict) {
  Steps("build:\n  name: other\n  command: make\nsame:\n  name: same\n  command: x\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(1, 1, "name",
                                             "this step is named `build` by its key and `other` "
                                             "by `name`"),
                                WithHint(HasSubstr("the key is the name")))));
}

TEST_F(StepParserTest, UnnamedStepsAreNamedByPositionSkippingTakenNames) {
  const ParsedSteps parsed =
      Steps("- echo 1\n- name: step-3\n  command: x\n- echo 3\n- command: echo 4\n");
  ASSERT_EQ(parsed.steps.size(), 4u);
  EXPECT_EQ(parsed.steps[0].name, "step-1");
  EXPECT_EQ(parsed.steps[1].name, "step-3");
  EXPECT_EQ(parsed.steps[2].name, "step-4");  // step-3 is taken
  EXPECT_EQ(parsed.steps[3].name, "step-5");
}

TEST_F(StepParserTest, EveryFieldInTheV2Dialect) {
  const Step step =
      One("- name: load\n"
          "  id: load_1\n"
          "  description: loads data\n"
          "  command: ./load.sh\n"
          "  shell: bash\n"
          "  working_dir: /data\n"
          "  depends: [a, b]\n"
          "  env:\n"
          "    - MODE: fast\n"
          "  output: RESULT\n"
          "  stdout: /tmp/out.log\n"
          "  stderr: /tmp/err.log\n"
          "  log_output: merged\n"
          "  continue_on:\n"
          "    failure: true\n"
          "    skipped: true\n"
          "    exit_code: [2, 3]\n"
          "    output: [warn, 're:^W']\n"
          "    mark_success: true\n"
          "  retry_policy:\n"
          "    limit: 3\n"
          "    interval_sec: 10\n"
          "    exit_code: [1]\n"
          "    backoff: true\n"
          "    max_interval_sec: 60\n"
          "  repeat_policy:\n"
          "    repeat: until\n"
          "    interval_sec: 5\n"
          "    limit: 4\n"
          "    condition: $STATUS\n"
          "    expected: done\n"
          "  preconditions:\n"
          "    - test -f x\n"
          "  timeout_sec: 30\n"
          "  signal_on_stop: SIGINT\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_EQ(step.name, "load");
  EXPECT_EQ(step.id, "load_1");
  EXPECT_EQ(step.description, "loads data");
  EXPECT_THAT(step.commands, ElementsAre("./load.sh"));
  EXPECT_EQ(step.shell, "bash");
  EXPECT_EQ(step.working_dir, "/data");
  EXPECT_THAT(step.depends, ElementsAre("a", "b"));
  ASSERT_EQ(step.env.size(), 1u);
  EXPECT_EQ(step.env[0].name, "MODE");
  EXPECT_EQ(step.output, "RESULT");
  EXPECT_EQ(step.stdout_file, "/tmp/out.log");
  EXPECT_EQ(step.stderr_file, "/tmp/err.log");
  EXPECT_EQ(step.log_output, LogOutput::kMerged);
  ASSERT_NE(step.continue_on, nullptr);
  EXPECT_TRUE(step.continue_on->failure);
  EXPECT_TRUE(step.continue_on->skipped);
  EXPECT_TRUE(step.continue_on->mark_success);
  EXPECT_THAT(step.continue_on->exit_codes, ElementsAre(2, 3));
  EXPECT_THAT(step.continue_on->output, ElementsAre("warn", "re:^W"));
  ASSERT_NE(step.retry_policy, nullptr);
  EXPECT_EQ(step.retry_policy->limit, "3");
  EXPECT_EQ(step.retry_policy->interval_sec, "10");
  EXPECT_THAT(step.retry_policy->exit_codes, ElementsAre(1));
  EXPECT_EQ(step.retry_policy->backoff, "true");
  EXPECT_EQ(step.retry_policy->max_interval_sec, "60");
  ASSERT_NE(step.repeat_policy, nullptr);
  EXPECT_EQ(step.repeat_policy->mode, RepeatPolicy::Mode::kUntil);
  EXPECT_EQ(step.repeat_policy->interval_sec, "5");
  EXPECT_EQ(step.repeat_policy->limit, "4");
  ASSERT_TRUE(step.repeat_policy->condition.has_value());
  EXPECT_EQ(step.repeat_policy->condition->condition, "$STATUS");
  EXPECT_EQ(step.repeat_policy->condition->expected, "done");
  EXPECT_FALSE(step.repeat_policy->condition->is_command);
  ASSERT_EQ(step.preconditions.size(), 1u);
  EXPECT_TRUE(step.preconditions[0].is_command);
  EXPECT_EQ(step.timeout_sec, 30);
  EXPECT_EQ(step.signal_on_stop, "SIGINT");
}

TEST_F(StepParserTest, EveryFieldInTheV1Dialect) {
  const Step step =
      One("- name: load\n"
          "  command: ./load.sh\n"
          "  dir: /data\n"
          "  depends: a\n"
          "  logOutput: merged\n"
          "  continueOn:\n"
          "    failure: true\n"
          "    exitCode: 2\n"
          "    markSuccess: true\n"
          "  retryPolicy:\n"
          "    limit: ${RETRIES}\n"
          "    intervalSec: 10\n"
          "    exitCode: [1, 2]\n"
          "    backoff: 1.5\n"
          "    maxIntervalSec: 60\n"
          "  repeatPolicy:\n"
          "    repeat: true\n"
          "    intervalSec: 5\n"
          "    exitCode: [3]\n"
          "  precondition: test -f x\n"
          "  timeoutSec: 30\n"
          "  signalOnStop: TERM\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_EQ(step.working_dir, "/data");
  EXPECT_THAT(step.depends, ElementsAre("a"));
  EXPECT_EQ(step.log_output, LogOutput::kMerged);
  ASSERT_NE(step.continue_on, nullptr);
  EXPECT_TRUE(step.continue_on->failure);
  EXPECT_TRUE(step.continue_on->mark_success);
  EXPECT_THAT(step.continue_on->exit_codes, ElementsAre(2));
  ASSERT_NE(step.retry_policy, nullptr);
  EXPECT_EQ(step.retry_policy->limit, "${RETRIES}");
  EXPECT_EQ(step.retry_policy->interval_sec, "10");
  EXPECT_THAT(step.retry_policy->exit_codes, ElementsAre(1, 2));
  EXPECT_EQ(step.retry_policy->backoff, "1.5");
  EXPECT_EQ(step.retry_policy->max_interval_sec, "60");
  ASSERT_NE(step.repeat_policy, nullptr);
  EXPECT_EQ(step.repeat_policy->mode, RepeatPolicy::Mode::kWhile);  // true + exit code
  EXPECT_EQ(step.repeat_policy->interval_sec, "5");
  EXPECT_THAT(step.repeat_policy->exit_codes, ElementsAre(3));
  ASSERT_EQ(step.preconditions.size(), 1u);
  EXPECT_EQ(step.preconditions[0].condition, "test -f x");
  EXPECT_EQ(step.timeout_sec, 30);
  EXPECT_EQ(step.signal_on_stop, "SIGTERM");
}

TEST_F(StepParserTest, ContinueOnShortForms) {
  EXPECT_TRUE(One("- command: x\n  continueOn: failed\n").continue_on->failure);
  EXPECT_TRUE(One("- command: x\n  continue_on: failure\n").continue_on->failure);
  const Step skipped = One("- command: x\n  continue_on: skipped\n");
  EXPECT_TRUE(skipped.continue_on->skipped);
  EXPECT_FALSE(skipped.continue_on->failure);
  EXPECT_FALSE(One("- command: x\n  continue_on: sometimes\n").continue_on);
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(2, 16, "continue_on",
                                       "`continue_on` must be `failed`, `skipped` or a mapping, "
                                       "not `sometimes`")));
}

TEST_F(StepParserTest, RepeatModes) {
  EXPECT_EQ(One("- command: x\n  repeat_policy: {repeat: true}\n").repeat_policy->mode,
            RepeatPolicy::Mode::kAlways);
  EXPECT_EQ(One("- command: x\n  repeat_policy: {repeat: true, condition: $X, expected: y}\n")
                .repeat_policy->mode,
            RepeatPolicy::Mode::kWhile);
  EXPECT_EQ(
      One("- command: x\n  repeat_policy: {repeat: while, exit_code: 1}\n").repeat_policy->mode,
      RepeatPolicy::Mode::kWhile);
  const Step until = One("- command: x\n  repeat_policy: {repeat: until, condition: test -f x}\n");
  EXPECT_EQ(until.repeat_policy->mode, RepeatPolicy::Mode::kUntil);
  EXPECT_TRUE(until.repeat_policy->condition->is_command);
  EXPECT_FALSE(One("- command: x\n  repeat_policy: {repeat: false}\n").repeat_policy);
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(StepParserTest, RepeatErrors) {
  One("- command: x\n  repeat_policy: {interval_sec: 5}\n");
  One("- command: x\n  repeat_policy: {repeat: while}\n");
  One("- command: x\n  repeat_policy: {repeat: often}\n");
  One("- command: x\n  repeat_policy: {repeat: true, expected: x}\n");
  One("- command: x\n  repeat_policy: true\n");
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(AllOf(DiagnosticAt(2, 18, "repeat", "`repeat_policy` needs `repeat`"),
                        WithHint(HasSubstr("repeat: while"))),
                  DiagnosticAt(2, 27, "repeat", "`repeat: while` needs `condition` or `exit_code`"),
                  DiagnosticAt(2, 27, "repeat",
                               "`repeat` must be while, until, true or false, not "
                               "`often`"),
                  DiagnosticAt(2, 43, "expected", "`expected` needs a `condition` to compare with"),
                  DiagnosticAt(2, 18, "repeat_policy",
                               "`repeat_policy` must be a mapping (repeat, interval_sec, ...), not "
                               "`true`")));
}

TEST_F(StepParserTest, RetryErrors) {
  One("- command: x\n  retry_policy: {limit: -1}\n");
  One("- command: x\n  retry_policy: {interval_sec: soon}\n");
  One("- command: x\n  retry_policy: {backoff: 0.5}\n");
  One("- command: x\n  retry_policy: {exit_code: [256]}\n");
  One("- command: x\n  retry_policy: [3]\n");
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(DiagnosticAt(2, 25, "limit",
                               "`limit` must be a whole number of at least 0 or ${VAR}, not "
                               "`-1`"),
                  DiagnosticAt(2, 32, "interval_sec", HasSubstr("not `soon`")),
                  AllOf(DiagnosticAt(2, 27, "backoff",
                                     "`backoff` must be true, false or a factor above 1, not "
                                     "`0.5`"),
                        WithHint(HasSubstr("doubles"))),
                  DiagnosticAt(2, 30, "exit_code",
                               "`exit_code` must be a whole number from 0 to 255, not `256`"),
                  DiagnosticAt(2, 17, "retry_policy", HasSubstr("not a list"))));
}

TEST_F(StepParserTest, BackoffFalseIsNone) {
  EXPECT_EQ(One("- command: x\n  retry_policy: {limit: 2, backoff: false}\n").retry_policy->backoff,
            "");
}

TEST_F(StepParserTest, OutputMayBeWrittenWithADollar) {
  EXPECT_EQ(One("- command: x\n  output: $RESULT\n").output, "RESULT");
  One("- command: x\n  output: not a name\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(2, 11, "output",
                                       "`output` must name a variable, not `not a name`")));
}

TEST_F(StepParserTest, IdMustBeOneWord) {
  EXPECT_EQ(One("- command: x\n  id: build-1\n").id, "build-1");
  One("- command: x\n  id: 1build\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(2, 7, "id", "step id `1build` is not a valid id")));
}

TEST_F(StepParserTest, SignalNamesAreChecked) {
  One("- command: x\n  signal_on_stop: SIGFOO\n");
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(AllOf(DiagnosticAt(2, 19, "signal_on_stop", "`SIGFOO` is not a signal name"),
                        WithHint(HasSubstr("SIGTERM")))));
}

TEST_F(StepParserTest, DependsTakesAStringOrAListAndRecordsWhereEachIs) {
  const ParsedSteps parsed = Steps(
      "- name: a\n  command: x\n  depends: b\n- name: c\n  command: x\n  depends:\n"
      "    - a\n    - b\n- name: d\n  command: x\n  depends: []\n- name: e\n"
      "  command: x\n");
  ASSERT_EQ(parsed.depends.size(), 4u);
  EXPECT_THAT(parsed.steps[0].depends, ElementsAre("b"));
  EXPECT_TRUE(parsed.depends[0].written);
  ASSERT_EQ(parsed.depends[1].where.size(), 2u);
  EXPECT_EQ(parsed.depends[1].where[1].line, 8);
  EXPECT_EQ(parsed.depends[1].where[1].column, 7);
  EXPECT_TRUE(parsed.depends[2].written);
  EXPECT_THAT(parsed.steps[2].depends, IsEmpty());
  EXPECT_FALSE(parsed.depends[3].written);
}

TEST_F(StepParserTest, DependsEntriesMustBeNames) {
  Steps("- command: x\n  depends: [a, {b: c}, '']\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(2, 16, "depends", HasSubstr("not a mapping")),
                          DiagnosticAt(2, 24, "depends", HasSubstr("not an empty string"))));
}

TEST_F(StepParserTest, RunCallsASubDagWithParams) {
  const Step step =
      One("- name: child\n  run: workflows/child.yaml\n  params: \"P1=v1 P2='a b'\"\n");
  ASSERT_NE(step.call, nullptr);
  EXPECT_EQ(step.call->target, "workflows/child.yaml");
  EXPECT_EQ(step.call->params_text, "P1=v1 P2='a b'");
  ASSERT_EQ(step.call->params.size(), 2u);
  EXPECT_EQ(step.call->params[1].default_value, "a b");
  EXPECT_THAT(step.commands, IsEmpty());
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(StepParserTest, CallWithParamsAsMapAndVariableTarget) {
  const Step step = One("- call: ${CHILD}\n  params:\n    A: 1\n    B: two words\n");
  ASSERT_NE(step.call, nullptr);
  EXPECT_EQ(step.call->target, "${CHILD}");
  EXPECT_EQ(step.call->params_text, "A=1 B='two words'");
}

TEST_F(StepParserTest, RunNamingNoDagIsAnError) {
  One("- name: a\n  run: echo hello\n");
  One("- name: b\n  run:\n");
  One("- name: c\n  call: [x]\n");
  One("- name: d\n  run: make && make install\n");
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(
          AllOf(DiagnosticAt(2, 8, "run",
                             "`run: echo hello` names no DAG: `run` calls a sub-DAG, it does not "
                             "run shell commands"),
                WithHint("use `command: echo hello` to run it in a shell")),
          AllOf(DiagnosticAt(2, 3, "run",
                             "`run` names no DAG: `run` calls a sub-DAG by name or path"),
                WithHint(HasSubstr("use `command:` for a shell command"))),
          DiagnosticAt(2, 9, "call", HasSubstr("names no DAG")),
          DiagnosticAt(2, 8, "run", HasSubstr("does not run shell commands"))));
}

TEST_F(StepParserTest, ParamsAndParallelNeedACall) {
  One("- command: x\n  params: A=1\n  parallel: [a]\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(2, 11, "params",
                                       "`params` applies to a sub-DAG call, and this step has no "
                                       "`run`/`call`"),
                          DiagnosticAt(3, 13, "parallel", HasSubstr("no `run`/`call`"))));
}

TEST_F(StepParserTest, ParallelForms) {
  const Step list = One("- call: child\n  parallel: [a, 1, {k: v, n: 2, b: true}, [x, null]]\n");
  ASSERT_TRUE(list.call->parallel.has_value());
  EXPECT_THAT(list.call->parallel->items,
              ElementsAre("a", "1", R"({"b":true,"k":"v","n":2})", R"(["x",null])"));
  EXPECT_EQ(list.call->parallel->max_concurrent, 10);
  const Step variable = One("- call: child\n  parallel: ${ITEMS}\n");
  EXPECT_EQ(variable.call->parallel->items_variable, "${ITEMS}");
  const Step object =
      One("- call: child\n  parallel:\n    items: ${ITEMS}\n    maxConcurrent: 3\n");
  EXPECT_EQ(object.call->parallel->items_variable, "${ITEMS}");
  EXPECT_EQ(object.call->parallel->max_concurrent, 3);
  const Step quoted = One("- call: child\n  parallel: {items: ['1', \"true\"]}\n");
  EXPECT_THAT(quoted.call->parallel->items, ElementsAre("1", "true"));
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(StepParserTest, ParallelErrors) {
  One("- call: c\n  parallel: items\n");
  One("- call: c\n  parallel: []\n");
  One("- call: c\n  parallel: {max_concurrent: 2}\n");
  One("- call: c\n  parallel: {items: [a], max_concurrent: 0}\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(2, 13, "parallel",
                                       "`parallel` must be a list or a variable holding one, such "
                                       "as ${ITEMS}, not `items`"),
                          DiagnosticAt(2, 13, "parallel", "`parallel` is an empty list"),
                          DiagnosticAt(2, 13, "parallel", "`parallel` needs `items`"),
                          DiagnosticAt(2, 42, "max_concurrent", HasSubstr("at least 1"))));
}

TEST_F(StepParserTest, ShellExecutorsAreAcceptedOthersAreNot) {
  One("- command: x\n  executor: shell\n");
  One("- command: x\n  executor: {type: command}\n");
  One("- command: x\n  executor:\n    type: docker\n    config: {image: alpine}\n");
  One("- command: x\n  type: ssh\n");
  One("- command: x\n  executor: [docker]\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(3, 5, "executor",
                                             "weft does not support the `docker` executor"),
                                WithHint(HasSubstr("call the tool from a command"))),
                          DiagnosticAt(2, 9, "type", "weft does not support the `ssh` executor"),
                          DiagnosticAt(2, 13, "executor", HasSubstr("not a list"))));
}

TEST_F(StepParserTest, WhatAStepRunsMustBeClear) {
  One("- name: idle\n");
  One("- name: both\n  command: x\n  call: child\n");
  One("- name: many\n  command: [a, b]\n  script: echo\n");
  One("- name: twice\n  command: |\n    a\n    b\n  script: c\n");
  One("- name: blank\n  command: '  '\n");
  One("- name: nolist\n  command: []\n");
  One("- name: map\n  command: {a: b}\n");
  EXPECT_THAT(
      log_.errors(),
      ElementsAre(
          AllOf(DiagnosticAt(1, 3, "", "step `idle` has nothing to run"),
                WithHint("give it `command`, `script` or `call`")),
          DiagnosticAt(3, 9, "call", "a step either runs a command or calls a sub-DAG, not both"),
          DiagnosticAt(2, 12, "command",
                       "with `script`, `command` names the one program that runs it"),
          DiagnosticAt(5, 11, "script", HasSubstr("already a script")),
          DiagnosticAt(2, 12, "command", "`command` is empty"),
          DiagnosticAt(2, 12, "command", "`command` is an empty list"),
          DiagnosticAt(2, 12, "command",
                       "`command` must be a string or a list of strings, not a "
                       "mapping")));
}

TEST_F(StepParserTest, AStepMustBeAMappingOrAString) {
  const ParsedSteps parsed = Steps("- [a]\n-\n");
  EXPECT_EQ(parsed.steps.size(), 2u);  // kept so positions and names stay stable
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(1, 3, "",
                                       "a step must be a mapping or a command string, "
                                       "not a list"),
                          DiagnosticAt(2, 2, "", HasSubstr("not empty"))));
}

TEST_F(StepParserTest, StepsMustBeAListOrAMapping) {
  EXPECT_THAT(Steps("echo hi\n").steps, IsEmpty());
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(1, 1, "steps",
                                       "`steps` must be a list of steps or a mapping name -> "
                                       "step, not `echo hi`")));
}

TEST_F(StepParserTest, LogOutputDefaultsToTheDagsAndIsChecked) {
  const ParsedSteps parsed =
      Steps("- echo a\n- command: x\n  log_output: separate\n- command: y\n  logOutput: both\n",
            LogOutput::kMerged);
  EXPECT_EQ(parsed.steps[0].log_output, LogOutput::kMerged);
  EXPECT_EQ(parsed.steps[1].log_output, LogOutput::kSeparate);
  EXPECT_THAT(log_.errors(),
              ElementsAre(DiagnosticAt(5, 14, "logOutput",
                                       "`logOutput` must be `separate` or `merged`, not `both`")));
}

TEST_F(StepParserTest, UnknownStepKeysSuggestTheNearest) {
  Steps("- name: a\n  comand: x\n");
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(2, 3, "comand", "unknown key `comand` in a step"),
                                WithHint("did you mean `command`?")),
                          DiagnosticAt(1, 3, "", "step `a` has nothing to run")));
}

TEST_F(StepParserTest, IgnoredStepKeysWarn) {
  One("- command: x\n  mailOnError: true\n");
  EXPECT_THAT(log_.errors(), IsEmpty());
  EXPECT_THAT(log_.warnings(),
              ElementsAre(DiagnosticAt(2, 3, "mailOnError", HasSubstr("ignored"))));
}

TEST_F(StepParserTest, HandlerIsAStepWithADefaultName) {
  const Step named = ParseHandler(Parse("command: notify.sh\n"), "success", "onSuccess",
                                  LogOutput::kSeparate, log_);
  EXPECT_EQ(named.name, "onSuccess");
  EXPECT_THAT(named.commands, ElementsAre("notify.sh"));
  const Step string =
      ParseHandler(Parse("echo done\n"), "exit", "onExit", LogOutput::kMerged, log_);
  EXPECT_THAT(string.commands, ElementsAre("echo done"));
  EXPECT_EQ(string.log_output, LogOutput::kMerged);
  const Step custom = ParseHandler(Parse("name: cleanup\ncommand: rm -rf x\n"), "exit", "onExit",
                                   LogOutput::kSeparate, log_);
  EXPECT_EQ(custom.name, "cleanup");
  EXPECT_THAT(log_.errors(), IsEmpty());
}

TEST_F(StepParserTest, HandlersDependOnNothing) {
  ParseHandler(Parse("command: x\ndepends: a\n"), "failure", "onFailure", LogOutput::kSeparate,
               log_);
  EXPECT_THAT(log_.errors(),
              ElementsAre(AllOf(DiagnosticAt(1, 1, "failure", HasSubstr("cannot have `depends`")),
                                WithHint("remove `depends`"))));
}

}  // namespace
}  // namespace weft::dag
