// Tests for the nats-server config syntax parser: every construct and every error path.
#include "common/config/parser.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include <gtest/gtest.h>

namespace lattice::config {
namespace {

using Kind = ConfigValue::Kind;

ConfigValue MustParse(absl::string_view text) {
  absl::StatusOr<ConfigValue> parsed = ParseConfigString(text, "test.conf");
  EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n--- input ---\n" << text;
  return parsed.ok() ? *std::move(parsed) : ConfigValue();
}

std::string ParseError(absl::string_view text) {
  absl::StatusOr<ConfigValue> parsed = ParseConfigString(text, "test.conf");
  EXPECT_FALSE(parsed.ok()) << "unexpectedly parsed:\n" << text;
  return parsed.ok() ? std::string() : std::string(parsed.status().message());
}

int64_t IntAt(const ConfigValue& root, absl::string_view key) {
  const ConfigValue* v = root.Find(key);
  EXPECT_NE(v, nullptr) << key;
  if (v == nullptr || !v->is_integer()) {
    ADD_FAILURE() << key << " is not an integer";
    return -1;
  }
  return v->int_value();
}

std::string StringAt(const ConfigValue& root, absl::string_view key) {
  const ConfigValue* v = root.Find(key);
  if (v == nullptr || !v->is_string()) {
    ADD_FAILURE() << key << " is missing or not a string";
    return "";
  }
  return v->string_value();
}

TEST(ParserTest, KeySeparators) {
  ConfigValue root = MustParse("a = 1\nb: 2\nc 3\nd=4\ne:5\n\"quoted key\" = 6\n'sq key': 7\n");
  EXPECT_EQ(IntAt(root, "a"), 1);
  EXPECT_EQ(IntAt(root, "b"), 2);
  EXPECT_EQ(IntAt(root, "c"), 3);
  EXPECT_EQ(IntAt(root, "d"), 4);
  EXPECT_EQ(IntAt(root, "e"), 5);
  EXPECT_EQ(IntAt(root, "quoted key"), 6);
  EXPECT_EQ(IntAt(root, "sq key"), 7);
}

TEST(ParserTest, KeysKeepFileOrderAndLookupIgnoresCase) {
  ConfigValue root = MustParse("Zeta = 1\nalpha = 2\nMiddle = 3\n");
  ASSERT_EQ(root.entries().size(), 3u);
  EXPECT_EQ(root.entries()[0].first, "Zeta");
  EXPECT_EQ(root.entries()[1].first, "alpha");
  EXPECT_EQ(root.entries()[2].first, "Middle");
  EXPECT_EQ(IntAt(root, "ZETA"), 1);
  EXPECT_EQ(IntAt(root, "middle"), 3);
  EXPECT_EQ(root.Find("missing"), nullptr);
}

TEST(ParserTest, LastDefinitionWins) {
  ConfigValue root = MustParse("port = 1\nPORT = 2\n");
  ASSERT_EQ(root.entries().size(), 1u);
  EXPECT_EQ(IntAt(root, "port"), 2);
}

TEST(ParserTest, Strings) {
  ConfigValue root = MustParse(
      "dq = \"a b\\t\\n\\r\\\"\\\\\\x41\"\n"
      "sq = 'raw \\n $x'\n"
      "bare = hello\n"
      "url = nats://localhost:4222\n"
      "hostport = localhost:4222\n"
      "ip = 127.0.0.1:4222\n"
      "ip6 = 0.0.0.0\n"
      "escaped = a\\tb\n"
      "empty = \"\"\n");
  EXPECT_EQ(StringAt(root, "dq"), "a b\t\n\r\"\\A");
  EXPECT_EQ(StringAt(root, "sq"), "raw \\n $x");
  EXPECT_EQ(StringAt(root, "bare"), "hello");
  EXPECT_EQ(StringAt(root, "url"), "nats://localhost:4222");
  EXPECT_EQ(StringAt(root, "hostport"), "localhost:4222");
  EXPECT_EQ(StringAt(root, "ip"), "127.0.0.1:4222");
  EXPECT_EQ(StringAt(root, "ip6"), "0.0.0.0");
  EXPECT_EQ(StringAt(root, "escaped"), "a\tb");
  EXPECT_EQ(StringAt(root, "empty"), "");
}

TEST(ParserTest, Numbers) {
  ConfigValue root =
      MustParse("i = 42\nneg = -7\nf = 3.25\nnf = -0.5\nbig = 9223372036854775807\n");
  EXPECT_EQ(IntAt(root, "i"), 42);
  EXPECT_EQ(IntAt(root, "neg"), -7);
  EXPECT_EQ(IntAt(root, "big"), INT64_MAX);
  ASSERT_TRUE(root.Find("f")->is_float());
  EXPECT_DOUBLE_EQ(root.Find("f")->float_value(), 3.25);
  EXPECT_DOUBLE_EQ(root.Find("nf")->float_value(), -0.5);
}

TEST(ParserTest, SizeSuffixesFollowNatsServer) {
  // nats-server: K/M/G are powers of 1000; KB/Ki/KiB are powers of 1024; case-insensitive.
  ConfigValue root = MustParse(
      "a = 1K\nb = 1KB\nc = 1kb\nd = 1k\ne = 2MB\nf = 2M\ng = 1GB\nh = 1G\ni = 1Ki\nj = 1KiB\n"
      "k = 1TB\nl = 1t\nm = 1P\nn = 1EB\no = -2k\n");
  EXPECT_EQ(IntAt(root, "a"), 1000);
  EXPECT_EQ(IntAt(root, "b"), 1024);
  EXPECT_EQ(IntAt(root, "c"), 1024);
  EXPECT_EQ(IntAt(root, "d"), 1000);
  EXPECT_EQ(IntAt(root, "e"), 2 * 1024 * 1024);
  EXPECT_EQ(IntAt(root, "f"), 2000000);
  EXPECT_EQ(IntAt(root, "g"), int64_t{1} << 30);
  EXPECT_EQ(IntAt(root, "h"), 1000000000);
  EXPECT_EQ(IntAt(root, "i"), 1024);
  EXPECT_EQ(IntAt(root, "j"), 1024);
  EXPECT_EQ(IntAt(root, "k"), int64_t{1} << 40);
  EXPECT_EQ(IntAt(root, "l"), 1000000000000);
  EXPECT_EQ(IntAt(root, "m"), 1000000000000000);
  EXPECT_EQ(IntAt(root, "n"), int64_t{1} << 60);
  EXPECT_EQ(IntAt(root, "o"), -2000);
}

TEST(ParserTest, DigitLedTextIsAString) {
  ConfigValue root = MustParse("a = 10s\nb = 1h30m\nc = 250ms\nd = 2kx\n");
  EXPECT_EQ(StringAt(root, "a"), "10s");
  EXPECT_EQ(StringAt(root, "b"), "1h30m");
  EXPECT_EQ(StringAt(root, "c"), "250ms");
  EXPECT_EQ(StringAt(root, "d"), "2kx");
}

TEST(ParserTest, Booleans) {
  ConfigValue root =
      MustParse("a = true\nb = FALSE\nc = yes\nd = No\ne = on\nf = off\ng = \"true\"\n");
  for (const char* key : {"a", "c", "e"})
    EXPECT_TRUE(root.Find(key)->is_bool() && root.Find(key)->bool_value()) << key;
  for (const char* key : {"b", "d", "f"})
    EXPECT_TRUE(root.Find(key)->is_bool() && !root.Find(key)->bool_value()) << key;
  EXPECT_EQ(StringAt(root, "g"), "true");  // quoting keeps it a string
}

TEST(ParserTest, Datetime) {
  ConfigValue root = MustParse("when = 2026-11-27T17:00:00Z\n");
  ASSERT_EQ(root.Find("when")->kind(), Kind::kDatetime);
  EXPECT_EQ(root.Find("when")->string_value(), "2026-11-27T17:00:00Z");
}

TEST(ParserTest, MapsWithAndWithoutSeparator) {
  ConfigValue root = MustParse(
      "cluster {\n  name: c1\n  port: 6222\n}\n"
      "http = { port = 8222 }\n"
      "tls: {cert_file: \"a.pem\"; key_file: 'b.pem', verify: true}\n");
  const ConfigValue* cluster = root.Find("cluster");
  ASSERT_TRUE(cluster != nullptr && cluster->is_map());
  EXPECT_EQ(StringAt(*cluster, "name"), "c1");
  EXPECT_EQ(IntAt(*cluster, "port"), 6222);
  EXPECT_EQ(IntAt(*root.Find("http"), "port"), 8222);
  const ConfigValue* tls = root.Find("tls");
  EXPECT_EQ(StringAt(*tls, "cert_file"), "a.pem");
  EXPECT_EQ(StringAt(*tls, "key_file"), "b.pem");
  EXPECT_TRUE(tls->Find("verify")->bool_value());
}

TEST(ParserTest, MapValueMayStartOnNextLine) {
  ConfigValue root = MustParse("m {\n  a =\n    1\n}\n");
  EXPECT_EQ(IntAt(*root.Find("m"), "a"), 1);
}

TEST(ParserTest, Arrays) {
  ConfigValue root = MustParse(
      "a = [1, 2, 3]\n"
      "b [\n  x\n  \"y\"\n  'z',\n]\n"
      "c = []\n"
      "d = [[1, 2], [3]]\n");
  const ConfigValue* a = root.Find("a");
  ASSERT_TRUE(a->is_array());
  ASSERT_EQ(a->array().size(), 3u);
  EXPECT_EQ(a->array()[2].int_value(), 3);  // ']' ends the last number
  const ConfigValue* b = root.Find("b");
  ASSERT_EQ(b->array().size(), 3u);
  EXPECT_EQ(b->array()[0].string_value(), "x");
  EXPECT_EQ(b->array()[1].string_value(), "y");
  EXPECT_EQ(b->array()[2].string_value(), "z");
  EXPECT_TRUE(root.Find("c")->array().empty());
  EXPECT_EQ(root.Find("d")->array()[0].array()[1].int_value(), 2);
}

TEST(ParserTest, MapsInsideArrays) {
  ConfigValue root = MustParse(
      "authorization {\n"
      "  users = [\n"
      "    {user: alice, password: s3cret}\n"
      "    {user: bob, password: \"p w\", permissions: {publish: [\"a.>\"]}}\n"
      "  ]\n"
      "}\n");
  const ConfigValue& users = *root.Find("authorization")->Find("users");
  ASSERT_EQ(users.array().size(), 2u);
  EXPECT_EQ(StringAt(users.array()[0], "user"), "alice");
  EXPECT_EQ(StringAt(users.array()[1], "password"), "p w");
  EXPECT_EQ(users.array()[1].Find("permissions")->Find("publish")->array()[0].string_value(),
            "a.>");
}

TEST(ParserTest, CommentsAndSeparators) {
  ConfigValue root = MustParse(
      "# hash comment\n"
      "// slash comment\n"
      "a = 1 # trailing\n"
      "b = 2 // trailing\n"
      "c = 3; d = 4, e = 5\n"
      "arr = [1, # inside\n 2 // also\n]\n"
      "m { x = 1 # c\n // c2\n y = 2; }\n");
  EXPECT_EQ(IntAt(root, "a"), 1);
  EXPECT_EQ(IntAt(root, "b"), 2);
  EXPECT_EQ(IntAt(root, "c"), 3);
  EXPECT_EQ(IntAt(root, "d"), 4);
  EXPECT_EQ(IntAt(root, "e"), 5);
  EXPECT_EQ(root.Find("arr")->array().size(), 2u);
  EXPECT_EQ(IntAt(*root.Find("m"), "y"), 2);
}

TEST(ParserTest, WholeFileInBracesAndCrlf) {
  ConfigValue root = MustParse("{\r\n  port: 4222\r\n  name: \"n\"\r\n}\r\n");
  EXPECT_EQ(IntAt(root, "port"), 4222);
  EXPECT_EQ(StringAt(root, "name"), "n");
}

TEST(ParserTest, RawBlock) {
  ConfigValue root = MustParse("text = (\nline one\n  (nested) line\n)\nafter = 1\n");
  EXPECT_EQ(StringAt(root, "text"), "\nline one\n  (nested) line");
  EXPECT_EQ(IntAt(root, "after"), 1);
}

TEST(ParserTest, VariablesResolveThroughEnclosingScopes) {
  ConfigValue root = MustParse(
      "TOKEN = abc\n"
      "limit = 10\n"
      "auth { token: $TOKEN }\n"
      "outer {\n  inner_var = 5\n  deep { v = $inner_var, w = $limit }\n}\n"
      "list = [$limit, $TOKEN]\n"
      "users = [{user: u, password: $TOKEN}]\n");
  EXPECT_EQ(StringAt(*root.Find("auth"), "token"), "abc");
  EXPECT_EQ(IntAt(*root.Find("outer")->Find("deep"), "v"), 5);
  EXPECT_EQ(IntAt(*root.Find("outer")->Find("deep"), "w"), 10);
  EXPECT_EQ(root.Find("list")->array()[1].string_value(), "abc");
  EXPECT_EQ(StringAt(root.Find("users")->array()[0], "password"), "abc");
  EXPECT_TRUE(root.Find("TOKEN")->used_as_variable());
  EXPECT_FALSE(root.Find("auth")->used_as_variable());
  // The copied value reports where it was referenced.
  EXPECT_EQ(root.Find("auth")->Find("token")->location().line, 3);
}

TEST(ParserTest, VariablesFallBackToEnvironment) {
  setenv("LATTICE_TEST_PORT", "4333", 1);
  setenv("LATTICE_TEST_NAME", "\"quoted name\"", 1);
  setenv("LATTICE_TEST_EMPTY", "", 1);
  ConfigValue root =
      MustParse("port = $LATTICE_TEST_PORT\nname = $LATTICE_TEST_NAME\ne = $LATTICE_TEST_EMPTY\n");
  EXPECT_EQ(IntAt(root, "port"), 4333);  // environment values are parsed as values
  EXPECT_EQ(StringAt(root, "name"), "quoted name");
  EXPECT_EQ(StringAt(root, "e"), "");
}

TEST(ParserTest, SelfReferencingEnvironmentIsBounded) {
  setenv("LATTICE_TEST_LOOP", "$LATTICE_TEST_LOOP", 1);
  EXPECT_TRUE(absl::StrContains(ParseError("x = $LATTICE_TEST_LOOP\n"), "too deeply"));
}

TEST(ParserTest, BcryptHashIsNotAVariable) {
  ConfigValue root = MustParse("password = $2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI\n");
  EXPECT_EQ(StringAt(root, "password"), "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI");
}

TEST(ParserTest, LocationsAreRecorded) {
  absl::StatusOr<ConfigValue> root =
      ParseConfigString("a = 1\n  b {\n    c = 'x'\n  }\n", "f.conf");
  ASSERT_TRUE(root.ok());
  const ConfigValue* c = root->Find("b")->Find("c");
  EXPECT_EQ(c->location().file, "f.conf");
  EXPECT_EQ(c->location().line, 3);
  EXPECT_EQ(c->location().column, 9);
  EXPECT_EQ(c->Error("bad").message(), "f.conf:3:9: bad");
}

struct ErrorCase {
  const char* input;
  const char* location;  // expected "file:line:col" prefix
  const char* reason;    // expected substring
};

TEST(ParserTest, ErrorsCarryLocationAndReason) {
  const ErrorCase cases[] = {
      {"a = \"unterminated\n", "test.conf:1:5", "unterminated double-quoted string"},
      {"a = 'unterminated", "test.conf:1:5", "unterminated single-quoted string"},
      {"a = \"bad \\q escape\"", "test.conf:1:10", "invalid escape"},
      {"a = \"\\xZZ\"", "test.conf:1:6", "hexadecimal"},
      {"a = [1, 2", "test.conf:1:10", "inside the array opened at test.conf:1:5"},
      {"a = [,]", "test.conf:1:6", "unexpected ','"},
      {"a = [1 2]", "test.conf:1:8", "expected ',' or ']'"},
      {"m {\n  x = 1\n", "test.conf:3:1", "inside the map opened at test.conf:1:3"},
      {"m { x = 1 y = 2 }", "test.conf:1:11", "after a map value"},
      {"a = 1 2\n", "test.conf:1:7", "after a map value"},
      {"= 1\n", "test.conf:1:1", "unexpected key separator"},
      {"a =\n1\n", "test.conf:1:4", "expected a value, got new line"},
      {"a = ", "test.conf:1:5", "expected a value for key 'a'"},
      {"a", "test.conf:1:2", "expected a value for key 'a'"},
      {"m { a = }", "test.conf:1:9", "expected a value for key 'a'"},
      {"a = .5\n", "test.conf:1:5", "floats must start with a digit"},
      {"a = 1.x\n", "test.conf:1:7", "expected a digit after '.'"},
      {"a = -x\n", "test.conf:1:6", "expected a digit after '-'"},
      {"a = 99999999999999999999\n", "test.conf:1:5", "out of range"},
      {"a = 9000000000EB\n", "test.conf:1:5", "out of range"},
      {"a = 1kbb\n", "test.conf:1:5", "unknown size suffix"},
      {"a = 12-01\n", "test.conf:1:7", "full Zulu form"},
      {"a = 2026-01-02X\n", "test.conf:1:15", "ISO8601"},
      {"a = $nope_not_defined_anywhere\n", "test.conf:1:5", "can not be found"},
      {"a = $\n", "test.conf:1:5", "empty variable"},
      {"a = (\nno end\n", "test.conf:1:5", "unterminated block"},
      {"include\n", "test.conf:1:8", "expected an include file name"},
      {"include 'x", "test.conf:1:9", "unterminated quoted include"},
      {"include [a]\n", "test.conf:1:9", "expected an include file name"},
      {"include does_not_exist.conf\n", "test.conf:1:9", "error opening include file"},
      {"\"key = 1\n", "test.conf:1:1", "unterminated quoted key"},
      {"m { ] }", "test.conf:1:5", "expected a key"},
  };
  for (const ErrorCase& c : cases) {
    const std::string error = ParseError(c.input);
    EXPECT_TRUE(absl::StartsWith(error, absl::StrCat(c.location, ": ")))
        << "input: " << c.input << "\nerror: " << error;
    EXPECT_TRUE(absl::StrContains(error, c.reason)) << "input: " << c.input << "\nerror: " << error;
  }
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  const std::string deep_arrays = "a = " + std::string(100000, '[');
  EXPECT_TRUE(absl::StrContains(ParseError(deep_arrays), "nested deeper"));
  std::string deep_maps = "a ";
  for (int i = 0; i < 10000; ++i)
    deep_maps += "{ b ";
  EXPECT_TRUE(absl::StrContains(ParseError(deep_maps), "nested deeper"));
}

TEST(ParserTest, ExponentialVariableCopiesAreBounded) {
  std::string text = "v0 = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int level = 1; level <= 8; ++level) {
    text += absl::StrCat("v", level, " = [");
    for (int i = 0; i < 10; ++i)
      text += absl::StrCat("$v", level - 1, ", ");
    text += "]\n";
  }
  EXPECT_TRUE(absl::StrContains(ParseError(text), "copy more than"));
}

TEST(ParserTest, ArbitraryBytesNeverCrash) {
  // A few hostile shapes; the fuzzer covers the rest.
  for (absl::string_view input :
       {absl::string_view("\0\0\0", 3), absl::string_view("a = \"\\x"), absl::string_view("a=$"),
        absl::string_view("}}}}"), absl::string_view("a = [{{{"), absl::string_view("\xff\xfe = 1"),
        absl::string_view("include"), absl::string_view("a = -"), absl::string_view("a = 2026-")}) {
    (void)ParseConfigString(input, "t.conf");
  }
}

// Include tests write real files under the test's temporary directory.
class IncludeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/cfgXXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }

  std::string Write(const std::string& name, absl::string_view contents) {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream(path) << contents;
    return path;
  }

  std::string dir_;
};

TEST_F(IncludeTest, IncludeIsRelativeToTheIncludingFile) {
  ASSERT_EQ(mkdir(absl::StrCat(dir_, "/sub").c_str(), 0755), 0);
  Write("sub/auth.conf", "authorization { token: t0k }\ninclude 'more.conf'\n");
  Write("sub/more.conf", "max_payload: 2MB\n");
  const std::string main = Write(
      "main.conf", "port: 1\ninclude sub/auth.conf\ncluster {\n  include \"sub/more.conf\"\n}\n");
  absl::StatusOr<ConfigValue> root = ParseConfigFile(main);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(StringAt(*root->Find("authorization"), "token"), "t0k");
  EXPECT_EQ(IntAt(*root, "max_payload"), 2 * 1024 * 1024);
  EXPECT_EQ(IntAt(*root->Find("cluster"), "max_payload"), 2 * 1024 * 1024);
  EXPECT_TRUE(absl::EndsWith(root->Find("authorization")->location().file, "sub/auth.conf"));
}

TEST_F(IncludeTest, IncludeCycleIsAnError) {
  Write("a.conf", "x = 1\ninclude b.conf\n");
  Write("b.conf", "include 'a.conf'\n");
  absl::StatusOr<ConfigValue> root = ParseConfigFile(absl::StrCat(dir_, "/a.conf"));
  ASSERT_FALSE(root.ok());
  EXPECT_TRUE(absl::StrContains(root.status().message(), "include cycle")) << root.status();
  EXPECT_TRUE(absl::StartsWith(root.status().message(), absl::StrCat(dir_, "/a.conf:2:1: ")))
      << root.status();
}

TEST_F(IncludeTest, SelfIncludeIsAnError) {
  const std::string path = Write("self.conf", "include self.conf\n");
  absl::StatusOr<ConfigValue> root = ParseConfigFile(path);
  ASSERT_FALSE(root.ok());
  EXPECT_TRUE(absl::StrContains(root.status().message(), "include cycle"));
}

TEST_F(IncludeTest, ErrorsInsideIncludesNameTheIncludedFile) {
  Write("bad.conf", "ok = 1\nbroken = [\n");
  const std::string main = Write("main.conf", "include bad.conf\n");
  absl::StatusOr<ConfigValue> root = ParseConfigFile(main);
  ASSERT_FALSE(root.ok());
  EXPECT_TRUE(absl::StrContains(root.status().message(), "bad.conf:3:1: unexpected end of file"))
      << root.status();
}

TEST_F(IncludeTest, MissingFileAndDirectoryAreErrors) {
  EXPECT_FALSE(ParseConfigFile(absl::StrCat(dir_, "/missing.conf")).ok());
  EXPECT_FALSE(ParseConfigFile(dir_).ok());  // not a regular file
  const std::string main = Write("dir.conf", "include '.'\n");
  EXPECT_FALSE(ParseConfigFile(main).ok());
}

// Each of these files passes `nats-server -c FILE -t` (nats-server 2.9.10); we must accept them
// and read the same values.
constexpr char kAccepted[] = "common/config/testdata/nats_server_accepts/";

TEST(NatsServerAcceptsTest, BasicServer) {
  absl::StatusOr<ConfigValue> root = ParseConfigFile(absl::StrCat(kAccepted, "basic_server.conf"));
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(StringAt(*root, "listen"), "127.0.0.1:4222");
  EXPECT_EQ(StringAt(*root, "http"), "localhost:8222");
  EXPECT_EQ(IntAt(*root, "max_payload"), 1 << 20);
  EXPECT_EQ(IntAt(*root, "max_connections"), 1000);
  EXPECT_EQ(IntAt(*root, "max_control_line"), 4096);
  EXPECT_EQ(*GetDuration(*root->Find("ping_interval")), absl::Minutes(2));
  EXPECT_FALSE(root->Find("trace")->bool_value());
  EXPECT_TRUE(root->Find("logtime")->bool_value());
}

TEST(NatsServerAcceptsTest, AuthUsers) {
  absl::StatusOr<ConfigValue> root = ParseConfigFile(absl::StrCat(kAccepted, "auth_users.conf"));
  ASSERT_TRUE(root.ok()) << root.status();
  const ConfigValue& users = *root->Find("authorization")->Find("users");
  ASSERT_EQ(users.array().size(), 3u);
  EXPECT_EQ(StringAt(users.array()[0], "password"), "s3cret");
  EXPECT_TRUE(absl::StartsWith(StringAt(users.array()[1], "password"), "$2a$11$"));
  EXPECT_TRUE(users.array()[2].Find("permissions")->Find("allow_responses")->bool_value());
  EXPECT_TRUE(root->Find("PASS")->used_as_variable());
}

TEST(NatsServerAcceptsTest, ClusterIncludedAndBraced) {
  for (const char* name : {"cluster.conf", "included.conf", "token.conf"}) {
    absl::StatusOr<ConfigValue> root = ParseConfigFile(absl::StrCat(kAccepted, name));
    ASSERT_TRUE(root.ok()) << name << ": " << root.status();
  }
  absl::StatusOr<ConfigValue> included = ParseConfigFile(absl::StrCat(kAccepted, "included.conf"));
  EXPECT_EQ(IntAt(*included, "max_payload"), 2 << 20);
  EXPECT_EQ(included->Find("cluster")->Find("routes")->array().size(), 1u);
  absl::StatusOr<ConfigValue> token = ParseConfigFile(absl::StrCat(kAccepted, "token.conf"));
  EXPECT_DOUBLE_EQ(token->Find("authorization")->Find("timeout")->float_value(), 1.5);
}

}  // namespace
}  // namespace lattice::config
