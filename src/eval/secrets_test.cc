#include "eval/secrets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace weft::eval {
namespace {

TEST(SecretsTest, NamesWithTheFourMarksAreSecretInAnyCase) {
  for (const char* name : {"GITHUB_TOKEN", "TOKEN", "db_password", "PASSWORD_FILE", "ApiKey",
                           "SSH_KEY_PATH", "client_secret", "MY_SECRET_2"}) {
    EXPECT_TRUE(IsSecretName(name)) << name;
  }
  for (const char* name : {"PATH", "HOME", "DAG_NAME", "PASS", "TOKE_N", "K_E_Y", ""}) {
    EXPECT_FALSE(IsSecretName(name)) << name;
  }
}

TEST(SecretsTest, NamesListedInTheDagAreSecret) {
  const std::vector<std::string> declared = {"DB_URL", "WEBHOOK"};
  EXPECT_TRUE(IsSecretName("DB_URL", declared));
  EXPECT_TRUE(IsSecretName("WEBHOOK", declared));
  EXPECT_FALSE(IsSecretName("DB_URL_2", declared));
  EXPECT_FALSE(IsSecretName("db_url", declared));  // variable names are case-sensitive
}

TEST(SecretsTest, MasksEveryOccurrenceOfEveryValue) {
  SecretMasker masker;
  masker.Add("hunter22");
  masker.Add("s3cr3t-value");
  EXPECT_EQ(masker.Mask("login hunter22 then hunter22, key=s3cr3t-value."),
            "login *** then ***, key=***.");
  EXPECT_EQ(masker.Mask("nothing secret here"), "nothing secret here");
  EXPECT_EQ(masker.Mask(""), "");
  EXPECT_EQ(masker.Mask("hunter2"), "hunter2");  // a prefix of a value is not the value
}

TEST(SecretsTest, TheLongerOfOverlappingValuesIsMaskedWhole) {
  SecretMasker masker;
  masker.Add("abcd");
  masker.Add("abcdefgh");
  masker.Add("efghij");
  EXPECT_EQ(masker.Mask("xabcdefghijx"), "x***ijx");
  EXPECT_EQ(masker.Mask("abcd efghij"), "*** ***");
}

TEST(SecretsTest, ACutInsideAValueMovesToItsEnd) {
  SecretMasker masker;
  masker.Add("hunter22");
  masker.Add("22-and-more");  // overlaps hunter22's end
  const std::string text = "pw=hunter22-and-more; ok";
  EXPECT_EQ(masker.longest(), 11u);
  EXPECT_EQ(masker.CutAfterValuesSpanning(text, 0), 0u);
  EXPECT_EQ(masker.CutAfterValuesSpanning(text, 3), 3u);  // where a value starts
  // Inside hunter22, whose end is inside 22-and-more: past both.
  EXPECT_EQ(masker.CutAfterValuesSpanning(text, 5), text.find(';'));
  EXPECT_EQ(masker.CutAfterValuesSpanning(text, text.find(';')), text.find(';'));
  EXPECT_EQ(masker.CutAfterValuesSpanning(text, 99), text.size());
  EXPECT_EQ(SecretMasker().CutAfterValuesSpanning(text, 5), 5u);
  EXPECT_EQ(SecretMasker().longest(), 0u);
}

TEST(SecretsTest, ShortValuesAreNotMaskedInFreeText) {
  SecretMasker masker;
  masker.Add("1");
  masker.Add("abc");
  masker.Add("");
  EXPECT_TRUE(masker.empty());
  EXPECT_EQ(masker.Mask("exit code 1: abc"), "exit code 1: abc");
  masker.Add("abcd");
  EXPECT_EQ(masker.Mask("abc abcd"), "abc ***");
}

TEST(SecretsTest, AddsTheValuesOfSecretVariablesOnly) {
  Variables vars;
  vars.Set("API_TOKEN", "tok-123456");
  vars.Set("DB_URL", "postgres://u:pw@db/x");
  vars.Set("REGION", "eu-west-1");
  SecretMasker masker;
  masker.AddSecretVariables(vars, {"DB_URL"});
  EXPECT_EQ(masker.Mask("tok-123456 postgres://u:pw@db/x eu-west-1"), "*** *** eu-west-1");
}

TEST(SecretsTest, AddsSecretValuesOfAnEnvironmentArray) {
  std::string token = "GITHUB_TOKEN=ghp_abcdef";
  std::string path = "PATH=/usr/bin:/bin";
  std::string declared = "WEBHOOK=https://hooks.example/x";
  std::string malformed = "NO_EQUALS_SIGN_KEY";
  char* env[] = {token.data(), path.data(), declared.data(), malformed.data(), nullptr};
  SecretMasker masker;
  masker.AddSecretEnvironment(env, {"WEBHOOK"});
  EXPECT_EQ(masker.Mask("ghp_abcdef /usr/bin:/bin https://hooks.example/x"),
            "*** /usr/bin:/bin ***");
  SecretMasker none;
  none.AddSecretEnvironment(nullptr, {});
  EXPECT_TRUE(none.empty());
}

TEST(MaskSecretParamsTest, SecretParamsAreMaskedAndTheirValuesInsideOthers) {
  EXPECT_EQ(MaskSecretParams(R"({"DAY":"monday","API_TOKEN":"tok-123456","DB_URL":"pg://u:pw@db",)"
                             R"("NOTE":"with tok-123456 inside","1":"positional"})",
                             {"DB_URL"}),
            R"({"DAY":"monday","API_TOKEN":"***","DB_URL":"***","NOTE":"with *** inside",)"
            R"("1":"positional"})");
}

TEST(MaskSecretParamsTest, ShortAndNonStringSecretsAreMaskedWhole) {
  EXPECT_EQ(MaskSecretParams(R"({"PIN_KEY":"12","KEY_ID":7,"A":"12"})", {}),
            R"({"PIN_KEY":"***","KEY_ID":"***","A":"12"})");
}

TEST(MaskSecretParamsTest, TextThatIsNotAnObjectIsReturnedAsItIs) {
  EXPECT_EQ(MaskSecretParams("not json", {}), "not json");
  EXPECT_EQ(MaskSecretParams("[1]", {}), "[1]");
}

TEST(SecretParamValuesTest, TheStringValuesOfSecretParams) {
  const SecretMasker values = SecretParamValues(
      R"({"DAY":"monday","API_TOKEN":"tok-123456","DB_URL":"pg://u:pw@db","KEY_ID":7})",
      {"DB_URL"});
  EXPECT_EQ(values.Mask("tok-123456 monday pg://u:pw@db 7"), "*** monday *** 7");
  EXPECT_TRUE(SecretParamValues("not json", {}).empty());
}

// Many values and a long text that mostly starts none of them: the first-byte table must not
// skip a value that starts where another value's first byte is.
TEST(SecretsTest, ValuesSharingAFirstByteAreAllFound) {
  SecretMasker masker;
  for (int i = 0; i < 50; ++i) masker.Add("k" + std::to_string(1000 + i));
  masker.Add("zz-top");
  std::string text(10'000, '.');
  text += "k1049 k1000 kk1007 zz-top";
  EXPECT_EQ(masker.Mask(text), std::string(10'000, '.') + "*** *** k*** ***");
}

TEST(RunSecretsTest, CoversSecretVariablesHeadersAndOtelHeaderVariables) {
  dag::Dag dag;
  dag.secrets = {"WEBHOOK"};
  dag.otel.headers = {{"Authorization", "Bearer ${OTEL_AUTH_TOKEN}"}, {"X-Team", "data-team"}};
  Variables vars;
  vars.Set("OTEL_AUTH_TOKEN", "tok-123456");
  vars.Set("WEBHOOK", "https://hooks.example/x");
  vars.Set("REGION", "eu-west-1");
  vars.Set("OTEL_EXPORTER_OTLP_HEADERS", "api-key=k-987654,x-tenant=acme-tenant");
  const SecretMasker masker = RunSecrets(dag, vars);
  EXPECT_EQ(masker.Mask("Bearer tok-123456 | data-team | https://hooks.example/x | eu-west-1 | "
                        "k-987654 acme-tenant"),
            "*** | *** | *** | eu-west-1 | *** ***");
}

TEST(RunSecretsTest, RunWithoutSecretsMasksNothing) {
  Variables vars;
  vars.Set("REGION", "eu-west-1");
  EXPECT_TRUE(RunSecrets(dag::Dag{}, vars).empty());
}

}  // namespace
}  // namespace weft::eval
