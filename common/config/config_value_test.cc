// Tests for ConfigValue accessors and the duration/size helpers.
#include "common/config/config_value.h"

#include "absl/strings/match.h"
#include <gtest/gtest.h>

#include "common/config/parser.h"

namespace lattice::config {
namespace {

Location At(int line) {
  return Location{"v.conf", line, 3};
}

TEST(ConfigValueTest, CheckedAccessorsReportKindAndLocation) {
  const ConfigValue s = ConfigValue::String("x", At(4));
  EXPECT_EQ(*s.AsString(), "x");
  absl::StatusOr<int64_t> as_int = s.AsInt();
  ASSERT_FALSE(as_int.ok());
  EXPECT_EQ(as_int.status().message(), "v.conf:4:3: expected integer, got string");
  EXPECT_FALSE(s.AsBool().ok());
  EXPECT_FALSE(ConfigValue::Bool(true, At(1)).AsString().ok());
  EXPECT_EQ(*ConfigValue::Integer(3, At(1)).AsFloat(), 3.0);
  EXPECT_EQ(*ConfigValue::Float(2.5, At(1)).AsFloat(), 2.5);
  EXPECT_FALSE(ConfigValue::Float(2.5, At(1)).AsInt().ok());
  EXPECT_TRUE(*ConfigValue::Bool(true, At(1)).AsBool());
}

TEST(ConfigValueTest, SetReplacesCaseInsensitivelyInPlace) {
  ConfigValue map = ConfigValue::Map(At(1));
  map.Set("a", ConfigValue::Integer(1, At(1)));
  map.Set("B", ConfigValue::Integer(2, At(2)));
  map.Set("A", ConfigValue::Integer(3, At(3)));
  ASSERT_EQ(map.entries().size(), 2u);
  EXPECT_EQ(map.entries()[0].first, "A");
  EXPECT_EQ(map.Find("a")->int_value(), 3);
  EXPECT_EQ(map.Find("b")->int_value(), 2);
  EXPECT_EQ(ConfigValue::Integer(1, At(1)).Find("a"), nullptr);  // not a map
}

TEST(ConfigValueTest, DurationFromStringsAndSeconds) {
  EXPECT_EQ(*GetDuration(ConfigValue::String("2m", At(1))), absl::Minutes(2));
  EXPECT_EQ(*GetDuration(ConfigValue::String("1h30m", At(1))), absl::Minutes(90));
  EXPECT_EQ(*GetDuration(ConfigValue::String("250ms", At(1))), absl::Milliseconds(250));
  EXPECT_EQ(*GetDuration(ConfigValue::String("1.5s", At(1))), absl::Milliseconds(1500));
  EXPECT_EQ(*GetDuration(ConfigValue::String("0", At(1))), absl::ZeroDuration());
  EXPECT_EQ(*GetDuration(ConfigValue::Integer(30, At(1))), absl::Seconds(30));
}

TEST(ConfigValueTest, DurationErrors) {
  for (const char* bad : {"", "10", "abc", "10x", "inf", "-5s", "5 s", "s"}) {
    absl::StatusOr<absl::Duration> d = GetDuration(ConfigValue::String(bad, At(7)));
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_TRUE(absl::StartsWith(d.status().message(), "v.conf:7:3: ")) << d.status();
    }
  }
  EXPECT_FALSE(GetDuration(ConfigValue::Integer(-1, At(1))).ok());
  EXPECT_FALSE(GetDuration(ConfigValue::Integer(INT64_MAX, At(1))).ok());
  EXPECT_FALSE(GetDuration(ConfigValue::Bool(true, At(1))).ok());
}

TEST(ConfigValueTest, DurationFromParsedConfig) {
  absl::StatusOr<ConfigValue> root =
      ParseConfigString("a = \"2m\"\nb = 10s\nc = 5\nd = 2m\n", "d.conf");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(*GetDuration(*root->Find("a")), absl::Minutes(2));
  EXPECT_EQ(*GetDuration(*root->Find("b")), absl::Seconds(10));
  EXPECT_EQ(*GetDuration(*root->Find("c")), absl::Seconds(5));
  // As in nats-server, an unquoted 2m is the integer 2,000,000 (a size), i.e. seconds.
  EXPECT_EQ(*GetDuration(*root->Find("d")), absl::Seconds(2000000));
}

TEST(ConfigValueTest, Sizes) {
  EXPECT_EQ(*GetSize(ConfigValue::Integer(1024, At(1))), 1024);
  EXPECT_EQ(*GetSize(ConfigValue::String("64MB", At(1))), 64 << 20);
  EXPECT_EQ(*GetSize(ConfigValue::String("1k", At(1))), 1000);
  EXPECT_EQ(*GetSize(ConfigValue::String("12", At(1))), 12);
  EXPECT_FALSE(GetSize(ConfigValue::String("MB", At(1))).ok());
  EXPECT_FALSE(GetSize(ConfigValue::String("1XB", At(1))).ok());
  EXPECT_FALSE(GetSize(ConfigValue::String("99999EB", At(1))).ok());
  EXPECT_FALSE(GetSize(ConfigValue::Integer(-1, At(1))).ok());
  EXPECT_FALSE(GetSize(ConfigValue::Float(1.5, At(1))).ok());
}

TEST(ConfigValueTest, ApplySizeSuffix) {
  EXPECT_EQ(*ApplySizeSuffix(3, ""), 3);
  EXPECT_EQ(*ApplySizeSuffix(3, "KiB"), 3072);
  EXPECT_EQ(*ApplySizeSuffix(1, "e"), 1000000000000000000);
  EXPECT_FALSE(ApplySizeSuffix(1, "x").ok());
  EXPECT_FALSE(ApplySizeSuffix(1, "kbi").ok());
  EXPECT_FALSE(ApplySizeSuffix(10, "EB").ok());  // overflow
}

}  // namespace
}  // namespace lattice::config
