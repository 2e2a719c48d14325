#include "eval/run_scope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eval/scratch_dir.h"

namespace weft::eval {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Pair;

auto IsParam(const std::string& name, const std::string& value) {
  return AllOf(Field(&Param::name, name), Field(&Param::value, value));
}

dag::ParamDef Def(std::string name, std::string default_value, int line = 0) {
  return dag::ParamDef{std::move(name), std::move(default_value), {line, 1}};
}

dag::EnvEntry Env(std::string name, std::string value, int line = 0) {
  return dag::EnvEntry{std::move(name), std::move(value), {line, 1}};
}

class RunScopeTest : public ::testing::Test {
 protected:
  RunScopeTest() {
    dag_.name = "demo";
    dag_.file = (dag_dir_.path() / "demo.yaml").string();
    input_.dag = &dag_;
    input_.working_dir = work_dir_.path().string();
  }

  RunScope Build() {
    std::string error;
    std::optional<RunScope> scope = BuildRunScope(input_, &error);
    EXPECT_TRUE(scope.has_value()) << error;
    return scope.value_or(RunScope{});
  }

  std::string BuildError() {
    std::string error;
    EXPECT_FALSE(BuildRunScope(input_, &error).has_value());
    return error;
  }

  static std::string Value(const RunScope& scope, std::string_view name) {
    const std::string* value = scope.variables.Find(name);
    return value ? *value : "<unset>";
  }

  ScratchDir work_dir_;
  ScratchDir dag_dir_;
  dag::Dag dag_;
  RunScopeInput input_;
};

TEST_F(RunScopeTest, ProcessEnvironmentIsVisible) {
  char entry[] = "FROM_PROCESS=p";
  char odd[] = "NO_EQUALS_SIGN";
  char* env[] = {entry, odd, nullptr};
  input_.process_env = env;
  const RunScope scope = Build();
  EXPECT_EQ(Value(scope, "FROM_PROCESS"), "p");
  EXPECT_EQ(scope.variables.Find("NO_EQUALS_SIGN"), nullptr);
}

TEST_F(RunScopeTest, EachLevelOverridesTheOneBelow) {
  char process[] = "V=process";
  char* env[] = {process, nullptr};
  input_.process_env = env;
  auto top = [&] { return Value(Build(), "V"); };
  EXPECT_EQ(top(), "process");
  input_.builtins = {{"V", "builtin"}};
  EXPECT_EQ(top(), "builtin");
  dag_.params = {Def("V", "param")};
  EXPECT_EQ(top(), "param");
  dag_.env = {Env("V", "base env"), Env("V", "dag env")};
  EXPECT_EQ(top(), "dag env");
  work_dir_.Write(".env", "V=dotenv\n");
  EXPECT_EQ(top(), "dotenv");
}

TEST_F(RunScopeTest, EachLevelSeesTheLevelsBelow) {
  char process[] = "P=p";
  char* env[] = {process, nullptr};
  input_.process_env = env;
  input_.builtins = {{"DAG_NAME", "demo-${P}"}, {"B", "b"}};
  dag_.params = {Def("PARAM", "${P}${B}")};
  dag_.env = {Env("E", "${PARAM}e")};
  work_dir_.Write(".env", "D=${E}d\n");
  const RunScope scope = Build();
  EXPECT_EQ(Value(scope, "DAG_NAME"), "demo-${P}");  // built-ins are given, not expanded
  EXPECT_EQ(Value(scope, "D"), "pbed");
}

TEST_F(RunScopeTest, DefaultsAreEvaluatedInOrder) {
  dag_.params = {Def("A", "1"), Def("B", "${A}2"), Def("C", "`echo ${B}3`"), Def("D", "$LATER"),
                 Def("LATER", "x")};
  const RunScope scope = Build();
  EXPECT_THAT(scope.params, ElementsAre(IsParam("A", "1"), IsParam("B", "12"), IsParam("C", "123"),
                                        IsParam("D", "$LATER"), IsParam("LATER", "x")));
}

TEST_F(RunScopeTest, DefaultCommandsRunInTheWorkingDir) {
  dag_.params = {Def("HERE", "`pwd -P`")};
  EXPECT_EQ(Value(Build(), "HERE"), std::filesystem::canonical(work_dir_.path()).string());
}

TEST_F(RunScopeTest, NamedOverrideReplacesDefaultAndLaterDefaultsSeeIt) {
  dag_.params = {Def("A", "`exit 1`"), Def("B", "${A}-b")};
  input_.overrides = {{"A", "given"}};
  const RunScope scope = Build();
  EXPECT_THAT(scope.params, ElementsAre(IsParam("A", "given"), IsParam("B", "given-b")));
}

TEST_F(RunScopeTest, OverrideValuesAreDataNeitherExpandedNorRun) {
  dag_.params = {Def("A", ""), Def("B", ""), Def("", "")};
  input_.overrides = {{"A", "${HOME}"}, {"B", "`echo ran`"}, {"", "$(rm -rf /)"}};
  const RunScope scope = Build();
  EXPECT_THAT(scope.params, ElementsAre(IsParam("A", "${HOME}"), IsParam("B", "`echo ran`"),
                                        IsParam("", "$(rm -rf /)")));
}

TEST_F(RunScopeTest, PositionalParamsAreNumberedAmongPositionalsOnly) {
  dag_.params = {Def("A", "a"), Def("", "first"), Def("B", "b"), Def("", "second")};
  const RunScope scope = Build();
  EXPECT_EQ(Value(scope, "1"), "first");
  EXPECT_EQ(Value(scope, "2"), "second");
  EXPECT_EQ(Value(scope, "A"), "a");
}

TEST_F(RunScopeTest, PositionalOverridesReplaceInOrder) {
  dag_.params = {Def("", "x"), Def("N", "n"), Def("", "y")};
  input_.overrides = {{"", "p"}, {"N", "m"}};
  const RunScope scope = Build();
  EXPECT_THAT(scope.params, ElementsAre(IsParam("", "p"), IsParam("N", "m"), IsParam("", "y")));
  EXPECT_EQ(Value(scope, "1"), "p");
  EXPECT_EQ(Value(scope, "2"), "y");
}

TEST_F(RunScopeTest, DefaultMayUseAnEarlierPositional) {
  dag_.params = {Def("", "x"), Def("B", "$1-b")};
  input_.overrides = {{"", "p"}};
  EXPECT_EQ(Value(Build(), "B"), "p-b");
}

TEST_F(RunScopeTest, UnknownNamedOverrideIsAnErrorWhenNamedParamsAreDeclared) {
  dag_.params = {Def("A", "1"), Def("", "x"), Def("B", "2")};
  input_.overrides = {{"C", "3"}};
  const std::string error = BuildError();
  EXPECT_THAT(error, HasSubstr("unknown param \"C\""));
  EXPECT_THAT(error, HasSubstr("declares A, B"));
}

TEST_F(RunScopeTest, UnknownNamedOverrideIsAddedWhenOnlyPositionalsAreDeclared) {
  dag_.params = {Def("", "x")};
  input_.overrides = {{"EXTRA", "e"}};
  const RunScope scope = Build();
  EXPECT_THAT(scope.params, ElementsAre(IsParam("", "x"), IsParam("EXTRA", "e")));
  EXPECT_EQ(Value(scope, "EXTRA"), "e");
}

TEST_F(RunScopeTest, TooManyPositionalOverridesIsAnError) {
  dag_.params = {Def("", "x")};
  input_.overrides = {{"", "p"}, {"", "q"}};
  const std::string error = BuildError();
  EXPECT_THAT(error, HasSubstr("too many positional params"));
  EXPECT_THAT(error, HasSubstr("declares 1 positional"));
  EXPECT_THAT(error, HasSubstr("\"q\" is positional param 2"));
}

TEST_F(RunScopeTest, PositionalOverrideToOnlyNamedParamsIsAnError) {
  dag_.params = {Def("A", "1")};
  input_.overrides = {{"", "p"}};
  EXPECT_THAT(BuildError(), HasSubstr("declares 0 positional param(s)"));
}

TEST_F(RunScopeTest, DagWithoutParamsTakesWhatItIsGiven) {
  input_.overrides = {{"", "p"}, {"X", "x"}, {"", "q"}};
  const RunScope scope = Build();
  EXPECT_THAT(scope.params, ElementsAre(IsParam("", "p"), IsParam("X", "x"), IsParam("", "q")));
  EXPECT_EQ(Value(scope, "1"), "p");
  EXPECT_EQ(Value(scope, "2"), "q");
  EXPECT_EQ(Value(scope, "X"), "x");
}

TEST_F(RunScopeTest, ParamsJsonHoldsNamedAndNumberedPositionalsInOrder) {
  dag_.params = {Def("B", "b"), Def("", "first"), Def("A", "\"quoted\"")};
  const RunScope scope = Build();
  EXPECT_EQ(scope.params_json, R"({"B":"b","1":"first","A":"\"quoted\""})");
  EXPECT_EQ(Value(scope, "DAG_PARAMS_JSON"), scope.params_json);
}

TEST_F(RunScopeTest, NoParamsGiveAnEmptyJsonObject) { EXPECT_EQ(Build().params_json, "{}"); }

// `weft start dag -- $'A=\xff'` aborted on an uncaught JSON exception: params are bytes.
TEST_F(RunScopeTest, ParamsJsonReplacesBytesThatAreNotUtf8) {
  input_.overrides = {{"A", "caf\xc3 \xff!"}};
  const RunScope scope = Build();
  EXPECT_EQ(scope.params_json, "{\"A\":\"caf\uFFFD \uFFFD!\"}");
  EXPECT_EQ(Value(scope, "A"), "caf\xc3 \xff!");  // the variable keeps the bytes given
}

TEST_F(RunScopeTest, FailingDefaultNamesTheParamAndLine) {
  dag_.params = {Def("A", "1"), Def("B", "`echo no >&2; exit 2`", 4)};
  const std::string error = BuildError();
  EXPECT_THAT(error, HasSubstr("param B (line 4): command `echo no >&2; exit 2`"));
  EXPECT_THAT(error, HasSubstr("exited with status 2: no"));
}

TEST_F(RunScopeTest, FailingPositionalDefaultNamesItsNumber) {
  dag_.params = {Def("", "ok"), Def("", "`exit 1`")};
  EXPECT_THAT(BuildError(), HasSubstr("param $2: command"));
}

TEST_F(RunScopeTest, EnvEntriesUseEarlierOnesAndRunBackticks) {
  dag_.env = {Env("A", "a"), Env("B", "${A}b"), Env("C", "`echo $B`c"), Env("A", "${A}${A}")};
  const RunScope scope = Build();
  EXPECT_EQ(Value(scope, "B"), "ab");
  EXPECT_EQ(Value(scope, "C"), "abc");
  EXPECT_EQ(Value(scope, "A"), "aa");
}

TEST_F(RunScopeTest, FailingEnvEntryNamesItAndItsLine) {
  dag_.env = {Env("BAD", "`exit 5`", 9)};
  EXPECT_THAT(BuildError(), HasSubstr("env BAD (line 9): command `exit 5` exited with status 5"));
}

TEST_F(RunScopeTest, DotenvIsLoadedAfterEnvAndSeesIt) {
  dag_.env = {Env("TOKEN", "from env"), Env("USER_NAME", "u")};
  work_dir_.Write(".env", "TOKEN=\"Bearer ${USER_NAME}\"\n");
  EXPECT_EQ(Value(Build(), "TOKEN"), "Bearer u");
}

TEST_F(RunScopeTest, DotenvPathIsResolvedInWorkingDirThenDagDir) {
  dag_.dotenv = {"both.env", "dag-only.env"};
  work_dir_.Write("both.env", "WHERE=work\n");
  dag_dir_.Write("both.env", "WHERE=dag\nSHADOWED=yes\n");
  dag_dir_.Write("dag-only.env", "ONLY=dag\n");
  const RunScope scope = Build();
  EXPECT_EQ(Value(scope, "WHERE"), "work");
  EXPECT_EQ(Value(scope, "ONLY"), "dag");
  EXPECT_EQ(scope.variables.Find("SHADOWED"), nullptr);
}

TEST_F(RunScopeTest, DagDirDefaultsToTheDagFilesDirectoryAndCanBeGiven) {
  ScratchDir other;
  dag_.dotenv = {"x.env"};
  dag_dir_.Write("x.env", "X=dag file dir\n");
  other.Write("x.env", "X=given dir\n");
  EXPECT_EQ(Value(Build(), "X"), "dag file dir");
  input_.dag_dir = other.path().string();
  EXPECT_EQ(Value(Build(), "X"), "given dir");
}

TEST_F(RunScopeTest, DotEnvIsTriedFirstThenListedFilesInOrder) {
  dag_.dotenv = {"a.env", "b.env"};
  work_dir_.Write(".env", "V=dot\nFIRST=dot\n");
  work_dir_.Write("a.env", "V=a\n");
  work_dir_.Write("b.env", "V=${V}b\n");
  const RunScope scope = Build();
  EXPECT_EQ(Value(scope, "V"), "ab");
  EXPECT_EQ(Value(scope, "FIRST"), "dot");
}

TEST_F(RunScopeTest, DotenvFileIsLoadedOnceEvenWhenListedAgain) {
  dag_.dotenv = {"a.env", ".env", "./a.env"};
  work_dir_.Write(".env", "N=${N}x\n");
  work_dir_.Write("a.env", "N=${N}a\n");
  input_.builtins = {{"N", ""}};
  EXPECT_EQ(Value(Build(), "N"), "xa");
}

TEST_F(RunScopeTest, MissingDotenvFilesAreSkipped) {
  dag_.dotenv = {"missing.env", "/nonexistent/abs.env"};
  dag_.env = {Env("E", "e")};
  EXPECT_EQ(Value(Build(), "E"), "e");
}

TEST_F(RunScopeTest, DotenvPathIsExpandedAndMayBeAbsolute) {
  ScratchDir elsewhere;
  elsewhere.Write("abs.env", "ABS=yes\n");
  dag_.env = {Env("DIR", elsewhere.path().string())};
  dag_.dotenv = {"${DIR}/abs.env"};
  EXPECT_EQ(Value(Build(), "ABS"), "yes");
}

TEST_F(RunScopeTest, BadDotenvFileIsAnErrorNamingFileAndLine) {
  const std::string file = work_dir_.Write(".env", "OK=1\nnot an assignment\n");
  EXPECT_THAT(BuildError(), HasSubstr(file + ":2: expected NAME=VALUE"));
}

TEST_F(RunScopeTest, LocalDagWithoutFileUsesTheWorkingDirOnly) {
  dag_.file.clear();
  dag_.dotenv = {"x.env"};
  work_dir_.Write("x.env", "X=work\n");
  EXPECT_EQ(Value(Build(), "X"), "work");
}

TEST(BuildRunScopeTest, MissingDagIsAnError) {
  std::string error;
  EXPECT_FALSE(BuildRunScope(RunScopeInput{}, &error).has_value());
  EXPECT_THAT(error, HasSubstr("no DAG"));
}

class StepVariablesTest : public ::testing::Test {
 protected:
  StepVariablesTest() {
    auto run = std::make_shared<Variables>();
    run->Set("A", "run");
    run->Set("R", "r");
    run_ = std::move(run);
  }
  std::shared_ptr<const Variables> run_;
};

// Answers `step.stdout` only, as a run answers ${id.stdout}.
class OneReference : public References {
 public:
  const std::string* Find(std::string_view name) const override {
    return name == "step.stdout" ? &path_ : nullptr;
  }

 private:
  std::string path_ = "/logs/step.out";
};

TEST_F(StepVariablesTest, OutputsOverrideTheRunAndStepEnvOverridesOutputs) {
  std::string error;
  std::optional<Variables> vars = BuildStepVariables(
      run_, nullptr, {{"A", "first output"}, {"OUT", "o"}, {"A", "later output"}},
      {Env("OUT", "${OUT}-step"), Env("S", "${A}|${R}|`echo $OUT`")}, {}, &error);
  ASSERT_TRUE(vars.has_value()) << error;
  EXPECT_THAT(ToEnvp(*vars),
              ElementsAre("A=later output", "R=r", "OUT=o-step", "S=later output|r|o-step"));
}

TEST_F(StepVariablesTest, StepEnvEntryOverridingARunVariableIsExportedInItsPlace) {
  std::string error;
  std::optional<Variables> vars =
      BuildStepVariables(run_, nullptr, {}, {Env("A", "step ${A}"), Env("S", "s")}, {}, &error);
  ASSERT_TRUE(vars.has_value()) << error;
  EXPECT_EQ(*vars->Find("A"), "step run");
  EXPECT_THAT(ToEnvp(*vars), ElementsAre("A=step run", "R=r", "S=s"));
  EXPECT_EQ(*run_->Find("A"), "run");
}

TEST_F(StepVariablesTest, RunScopeIsLeftUnchanged) {
  std::string error;
  ASSERT_TRUE(BuildStepVariables(run_, nullptr, {{"A", "x"}}, {Env("NEW", "n")}, {}, &error));
  EXPECT_THAT(ToEnvp(*run_), ElementsAre("A=run", "R=r"));
}

TEST_F(StepVariablesTest, StepScopeKeepsTheRunScopeAlive) {
  std::string error;
  std::weak_ptr<const Variables> watch = run_;
  std::optional<Variables> vars = BuildStepVariables(std::move(run_), nullptr, {}, {}, {}, &error);
  ASSERT_TRUE(vars.has_value()) << error;
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(*vars->Find("R"), "r");
  vars.reset();
  EXPECT_TRUE(watch.expired());
}

TEST_F(StepVariablesTest, StepEnvSeesReferencesWhichAreNotExported) {
  std::string error;
  std::optional<Variables> vars = BuildStepVariables(
      run_, std::make_shared<OneReference>(), {},
      {Env("LOG", "${step.stdout}"), Env("OTHER", "${step.stderr}")}, {}, &error);
  ASSERT_TRUE(vars.has_value()) << error;
  EXPECT_EQ(*vars->Find("step.stdout"), "/logs/step.out");
  EXPECT_THAT(ToEnvp(*vars),
              ElementsAre("A=run", "R=r", "LOG=/logs/step.out", "OTHER=${step.stderr}"));
}

TEST_F(StepVariablesTest, StepCommandsRunInTheGivenWorkingDir) {
  ScratchDir dir;
  CommandOptions commands;
  commands.working_dir = dir.path().string();
  std::string error;
  std::optional<Variables> vars =
      BuildStepVariables(run_, nullptr, {}, {Env("HERE", "`pwd -P`")}, commands, &error);
  ASSERT_TRUE(vars.has_value()) << error;
  EXPECT_EQ(*vars->Find("HERE"), std::filesystem::canonical(dir.path()).string());
}

TEST_F(StepVariablesTest, StepCommandsSeeTheMergedEnvironment) {
  std::string error;
  std::optional<Variables> vars = BuildStepVariables(run_, nullptr, {{"A", "output"}},
                                                     {Env("SEEN", "`echo $A-$R`")}, {}, &error);
  ASSERT_TRUE(vars.has_value()) << error;
  EXPECT_EQ(*vars->Find("SEEN"), "output-r");
}

TEST_F(StepVariablesTest, FailingEntryIsAnErrorNamingIt) {
  std::string error;
  EXPECT_FALSE(BuildStepVariables(run_, nullptr, {}, {Env("X", "`exit 7`", 12)}, {}, &error));
  EXPECT_THAT(error, HasSubstr("step env X (line 12): command `exit 7` exited with status 7"));
}

TEST(ExpandOtelConfigTest, ExpandsEveryStringField) {
  Variables vars;
  vars.Set("DAG_NAME", "etl");
  vars.Set("OTEL_AUTH_TOKEN", "secret");
  vars.Set("V", "v");
  dag::OtelConfig otel;
  otel.enabled = true;
  otel.endpoint = "${V}:4317";
  otel.headers = {{"Authorization", "Bearer ${OTEL_AUTH_TOKEN}"}};
  otel.timeout = "${V}";
  otel.protocol = "${V}";
  otel.compression = "${V}";
  otel.certificate = "/${V}/ca";
  otel.client_certificate = "/${V}/crt";
  otel.client_key = "/${V}/key";
  otel.resource = {{"service.name", std::string("dagu-${DAG_NAME}")},
                   {"replicas", std::int64_t{3}},
                   {"unknown", std::string("$NOPE")}};
  const dag::OtelConfig expanded = ExpandOtelConfig(otel, vars);
  EXPECT_EQ(expanded.enabled, std::optional<bool>(true));
  EXPECT_EQ(expanded.endpoint, "v:4317");
  EXPECT_THAT(expanded.headers, ElementsAre(Pair("Authorization", "Bearer secret")));
  EXPECT_EQ(expanded.timeout, "v");
  EXPECT_EQ(expanded.protocol, "v");
  EXPECT_EQ(expanded.compression, "v");
  EXPECT_EQ(expanded.certificate, "/v/ca");
  EXPECT_EQ(expanded.client_certificate, "/v/crt");
  EXPECT_EQ(expanded.client_key, "/v/key");
  EXPECT_EQ(std::get<std::string>(expanded.resource.at("service.name")), "dagu-etl");
  EXPECT_EQ(std::get<std::int64_t>(expanded.resource.at("replicas")), 3);
  EXPECT_EQ(std::get<std::string>(expanded.resource.at("unknown")), "$NOPE");
}

TEST(ExpandOtelConfigTest, UnsetFieldsStayUnset) {
  const dag::OtelConfig expanded = ExpandOtelConfig(dag::OtelConfig{}, Variables{});
  EXPECT_FALSE(expanded.endpoint.has_value());
  EXPECT_FALSE(expanded.timeout.has_value());
  EXPECT_FALSE(expanded.certificate.has_value());
  EXPECT_TRUE(expanded.headers.empty());
}

}  // namespace
}  // namespace weft::eval
