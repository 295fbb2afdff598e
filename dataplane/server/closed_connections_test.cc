// ClosedConnections: bounded, oldest first, overwrites the oldest.
#include "dataplane/server/closed_connections.h"

#include "gtest/gtest.h"

namespace lattice::server {
namespace {

ClosedConnection Closed(uint64_t cid, CloseReason reason = CloseReason::kClientClosed) {
  ClosedConnection c;
  c.snapshot.cid = cid;
  c.stop_unix_nanos = static_cast<int64_t>(cid) * 1000;
  c.reason = reason;
  return c;
}

TEST(ClosedConnectionsTest, KeepsOrderBelowCapacity) {
  ClosedConnections ring(3);
  EXPECT_TRUE(ring.All().empty());
  ring.Add(Closed(1));
  ring.Add(Closed(2, CloseReason::kTlsHandshakeError));
  auto all = ring.All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].snapshot.cid, 1u);
  EXPECT_EQ(all[1].snapshot.cid, 2u);
  EXPECT_EQ(all[1].reason, CloseReason::kTlsHandshakeError);
}

TEST(ClosedConnectionsTest, OverwritesOldestWhenFull) {
  ClosedConnections ring(3);
  for (uint64_t cid = 1; cid <= 8; ++cid) {
    ring.Add(Closed(cid));
  }
  auto all = ring.All();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].snapshot.cid, 6u);
  EXPECT_EQ(all[1].snapshot.cid, 7u);
  EXPECT_EQ(all[2].snapshot.cid, 8u);
}

TEST(ClosedConnectionsTest, ZeroCapacityKeepsNothing) {
  ClosedConnections ring(0);
  ring.Add(Closed(1));
  EXPECT_TRUE(ring.All().empty());
}

TEST(ClosedConnectionsTest, ReasonTextsMatchNatsServer) {
  EXPECT_EQ(CloseReasonText(CloseReason::kClientClosed), "Client Closed");
  EXPECT_EQ(CloseReasonText(CloseReason::kSlowConsumerPendingBytes),
            "Slow Consumer (Pending Bytes)");
  EXPECT_EQ(CloseReasonText(CloseReason::kAuthenticationTimeout), "Authentication Timeout");
  EXPECT_EQ(CloseReasonText(CloseReason::kTlsHandshakeError), "TLS Handshake Failure");
}

}  // namespace
}  // namespace lattice::server
