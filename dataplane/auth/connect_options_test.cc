// Tests for CONNECT JSON decoding against nats-server's (Go encoding/json) behaviour.
#include "dataplane/auth/connect_options.h"

#include <string>

#include "gtest/gtest.h"

namespace lattice::auth {
namespace {

ConnectOptions Parse(std::string_view json) {
  ConnectOptions o;
  absl::Status s = ParseConnectOptions(json, &o);
  EXPECT_TRUE(s.ok()) << json << ": " << s;
  return o;
}

bool Fails(std::string_view json) {
  ConnectOptions o;
  o.name = "before";
  absl::Status s = ParseConnectOptions(json, &o);
  EXPECT_EQ(o.name, "before") << "options changed on error for " << json;
  return !s.ok();
}

TEST(ConnectOptionsTest, EmptyObjectKeepsDefaults) {
  ConnectOptions o = Parse("{}");
  EXPECT_TRUE(o.verbose);
  EXPECT_TRUE(o.pedantic);
  EXPECT_TRUE(o.echo);
  EXPECT_FALSE(o.tls_required);
  EXPECT_FALSE(o.headers);
  EXPECT_FALSE(o.no_responders);
  EXPECT_EQ(o.protocol, 0);
  EXPECT_TRUE(o.name.empty());
}

TEST(ConnectOptionsTest, NatsGoConnect) {
  ConnectOptions o =
      Parse(R"({"verbose":false,"pedantic":false,"tls_required":false,"name":"svc","lang":"go",)"
            R"("version":"1.28.0","protocol":1,"echo":true,"headers":true,"no_responders":true})");
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.pedantic);
  EXPECT_TRUE(o.echo);
  EXPECT_TRUE(o.headers);
  EXPECT_TRUE(o.no_responders);
  EXPECT_EQ(o.name, "svc");
  EXPECT_EQ(o.lang, "go");
  EXPECT_EQ(o.version, "1.28.0");
  EXPECT_EQ(o.protocol, 1);
}

TEST(ConnectOptionsTest, Credentials) {
  ConnectOptions o =
      Parse(R"({"user":"derek","pass":"s3cr\"et","auth_token":"tok","nkey":"UABC","jwt":"eyJ",)"
            R"("sig":"c2ln","account":"ACC","new_account":true})");
  EXPECT_EQ(o.user, "derek");
  EXPECT_EQ(o.pass, "s3cr\"et");
  EXPECT_EQ(o.auth_token, "tok");
  EXPECT_EQ(o.nkey, "UABC");
  EXPECT_EQ(o.jwt, "eyJ");
  EXPECT_EQ(o.sig, "c2ln");
  EXPECT_EQ(o.account, "ACC");
  EXPECT_TRUE(o.new_account);
  EXPECT_TRUE(o.HasUserPassOrToken());
  EXPECT_FALSE(Parse("{}").HasUserPassOrToken());
}

TEST(ConnectOptionsTest, UnicodeEscapesDecode) {
  ConnectOptions o = Parse(R"({"name":"caf\u00e9 \ud83d\ude00","pass":"a\u0000b"})");
  EXPECT_EQ(o.name, "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_EQ(o.pass, std::string("a\0b", 3));
}

TEST(ConnectOptionsTest, UnknownKeysIgnoredWhateverTheirValue) {
  ConnectOptions o =
      Parse(R"({"foo":{"a":[1,2,{"b":null}]},"bar":[true,"x",1.5],"baz":-3e9,"verbose":false})");
  EXPECT_FALSE(o.verbose);
}

TEST(ConnectOptionsTest, NullLeavesFieldUnchanged) {
  ConnectOptions o;
  o.name = "keep";
  ASSERT_TRUE(ParseConnectOptions(R"({"verbose":null,"name":null,"protocol":null})", &o).ok());
  EXPECT_TRUE(o.verbose);
  EXPECT_EQ(o.name, "keep");
  EXPECT_TRUE(ParseConnectOptions("null", &o).ok());
  EXPECT_EQ(o.name, "keep");
}

TEST(ConnectOptionsTest, KeysMatchCaseInsensitively) {
  ConnectOptions o = Parse(R"({"VERBOSE":false,"Name":"n","No_Responders":true})");
  EXPECT_FALSE(o.verbose);
  EXPECT_EQ(o.name, "n");
  EXPECT_TRUE(o.no_responders);
}

TEST(ConnectOptionsTest, LaterKeyWinsInDocumentOrder) {
  EXPECT_EQ(Parse(R"({"name":"a","name":"b"})").name, "b");
  EXPECT_EQ(Parse(R"({"NAME":"a","name":"b"})").name, "b");
  EXPECT_EQ(Parse(R"({"name":"a","NAME":"b"})").name, "b");
}

TEST(ConnectOptionsTest, SecondConnectParsesOverFirst) {
  ConnectOptions o;
  ASSERT_TRUE(ParseConnectOptions(R"({"verbose":false,"name":"first"})", &o).ok());
  ASSERT_TRUE(ParseConnectOptions(R"({"echo":false})", &o).ok());
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.echo);
  EXPECT_EQ(o.name, "first");
}

TEST(ConnectOptionsTest, ProtocolValues) {
  EXPECT_EQ(Parse(R"({"protocol":-1})").protocol, -1);
  EXPECT_EQ(Parse(R"({"protocol":2})").protocol, 2);
  EXPECT_EQ(Parse(R"({"protocol":-0})").protocol, 0);
  EXPECT_EQ(Parse(R"({"protocol":9223372036854775807})").protocol, INT64_MAX);
  EXPECT_TRUE(Fails(R"({"protocol":9223372036854775808})"));
  EXPECT_TRUE(Fails(R"({"protocol":1.0})"));
  EXPECT_TRUE(Fails(R"({"protocol":1e0})"));
  EXPECT_TRUE(Fails(R"({"protocol":"1"})"));
  EXPECT_TRUE(Fails(R"({"protocol":true})"));
}

TEST(ConnectOptionsTest, WrongTypesFailLikeGo) {
  EXPECT_TRUE(Fails(R"({"verbose":"yes"})"));
  EXPECT_TRUE(Fails(R"({"verbose":1})"));
  EXPECT_TRUE(Fails(R"({"echo":[]})"));
  EXPECT_TRUE(Fails(R"({"headers":{}})"));
  EXPECT_TRUE(Fails(R"({"name":5})"));
  EXPECT_TRUE(Fails(R"({"user":false})"));
  EXPECT_TRUE(Fails(R"({"pass":["x"]})"));
  EXPECT_TRUE(Fails(R"({"name":"ok","user":{}})"));
  EXPECT_TRUE(Fails(R"({"import":5})"));
  EXPECT_TRUE(Fails(R"({"export":"x"})"));
  EXPECT_FALSE(Fails(R"({"import":{"allow":["a"]},"export":null})"));
}

TEST(ConnectOptionsTest, MalformedFails) {
  for (std::string_view bad : {"",
                               " ",
                               "{",
                               "}",
                               "{\"verbose\":}",
                               "{\"verbose\":true,}",
                               "{'a':1}",
                               "{\"a\":1}x",
                               "{\"a\":1}{}",
                               "[]",
                               "[{}]",
                               "\"str\"",
                               "1",
                               "true",
                               "{\"a\" 1}",
                               "{\"name\":\"\x01\"}",
                               "{\"name\":\"\\x\"}",
                               "{/*c*/}",
                               "nul",
                               "{\"a\":tru}"}) {
    EXPECT_TRUE(Fails(bad)) << bad;
  }
}

TEST(ConnectOptionsTest, TrailingWhitespaceAccepted) {
  EXPECT_FALSE(Parse(" {\"verbose\":false} \t\r\n").verbose);
}

TEST(ConnectOptionsTest, DeepNestingDoesNotCrash) {
  std::string deep = "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_TRUE(Parse(deep).verbose);
  std::string unbalanced = "{\"x\":" + std::string(100000, '[') + "}";
  EXPECT_TRUE(Fails(unbalanced));
}

TEST(ConnectOptionsTest, EmbeddedNulOutsideStringsFails) {
  EXPECT_TRUE(Fails(std::string_view("{\"a\":1}\0", 8)));
  EXPECT_TRUE(Fails(std::string_view("{\0}", 3)));
}

}  // namespace
}  // namespace lattice::auth
