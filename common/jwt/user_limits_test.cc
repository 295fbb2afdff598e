// Unit tests for connect-time user limit checks: CIDRs, time windows, connection types.
#include "common/jwt/user_limits.h"

#include <limits>

#include "gtest/gtest.h"

namespace lattice::jwt {
namespace {

TEST(UserLimitsTest, SourceNetworks) {
  UserPermissionLimits l;
  EXPECT_TRUE(SourceAllowed(l, "203.0.113.9"));
  l.src = {"127.0.0.0/8", "2001:db8::/32"};
  EXPECT_TRUE(SourceAllowed(l, "127.1.2.3"));
  EXPECT_FALSE(SourceAllowed(l, "128.0.0.1"));
  EXPECT_TRUE(SourceAllowed(l, "2001:db8:1::7"));
  EXPECT_FALSE(SourceAllowed(l, "2001:db9::1"));
  EXPECT_FALSE(SourceAllowed(l, "::1"));
  EXPECT_FALSE(SourceAllowed(l, "not-an-ip"));
  l.src = {"10.1.2.3/32"};
  EXPECT_TRUE(SourceAllowed(l, "10.1.2.3"));
  EXPECT_FALSE(SourceAllowed(l, "10.1.2.4"));
  l.src = {"0.0.0.0/0"};
  EXPECT_TRUE(SourceAllowed(l, "8.8.8.8"));
  EXPECT_FALSE(SourceAllowed(l, "::1"));  // an IPv4 network never holds an IPv6 client
  l.src = {"bogus", "0.0.0.0/0"};
  EXPECT_FALSE(SourceAllowed(l, "8.8.8.8"));
  l.src = {"10.0.0.0/33"};
  EXPECT_FALSE(SourceAllowed(l, "10.0.0.1"));
}

TEST(UserLimitsTest, TimeWindows) {
  UserPermissionLimits l;
  EXPECT_EQ(TimeWindowRemaining(l, 0), std::numeric_limits<int64_t>::max());
  constexpr int64_t kMidnight = 1800057600;  // 2027-01-16 00:00:00 UTC
  l.times = {TimeRange{"08:00:00", "17:00:00"}};
  EXPECT_EQ(TimeWindowRemaining(l, kMidnight + 9 * 3600), 8 * 3600);
  EXPECT_FALSE(TimeWindowRemaining(l, kMidnight + 7 * 3600).has_value());
  EXPECT_FALSE(TimeWindowRemaining(l, kMidnight + 18 * 3600).has_value());
  l.times = {TimeRange{"22:00:00", "02:00:00"}};
  EXPECT_EQ(TimeWindowRemaining(l, kMidnight + 23 * 3600), 3 * 3600);
  EXPECT_FALSE(TimeWindowRemaining(l, kMidnight + 12 * 3600).has_value());
  // The zone shifts the clock: 09:00 UTC is 10:00 in Berlin in January.
  l.times = {TimeRange{"09:30:00", "11:00:00"}};
  l.times_location = "Europe/Berlin";
  EXPECT_EQ(TimeWindowRemaining(l, kMidnight + 9 * 3600), 3600);
  l.times_location = "Not/AZone";
  EXPECT_FALSE(TimeWindowRemaining(l, kMidnight + 9 * 3600).has_value());
  l.times_location = "";
  l.times = {TimeRange{"9:00", "10:00:00"}};
  EXPECT_FALSE(TimeWindowRemaining(l, kMidnight + 9 * 3600 + 1).has_value());
}

TEST(UserLimitsTest, ConnectionTypes) {
  UserPermissionLimits l;
  EXPECT_TRUE(ConnectionTypeAllowed(l, "MQTT"));
  l.allowed_connection_types = {"STANDARD", "WEBSOCKET"};
  EXPECT_TRUE(ConnectionTypeAllowed(l, "WEBSOCKET"));
  EXPECT_FALSE(ConnectionTypeAllowed(l, "LEAFNODE"));
}

}  // namespace
}  // namespace lattice::jwt
