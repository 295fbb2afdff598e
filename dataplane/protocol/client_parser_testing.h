// Test helpers for ClientParser: a sink that records ops as text and a driver that feeds
// input in chunks the way a connection's read loop does (keeping unconsumed bytes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/protocol/client_parser.h"

namespace lattice::protocol::testing {

// Records every op as one readable string, e.g. "PUB foo|reply|<payload>" or "SUB a||1".
// Returns false from the op whose index is in `stop_at` (counting from 0) to test kStopped.
// Thread: single owner.
class RecordingSink : public ClientOpSink {
 public:
  bool OnConnect(std::string_view json) override;
  bool OnPub(const PubOp& op) override;
  bool OnSub(const SubOp& op) override;
  bool OnUnsub(const UnsubOp& op) override;
  bool OnPing() override;
  bool OnPong() override;
  bool OnInfo(std::string_view json) override;
  bool OnOk() override;
  bool OnErr(std::string_view text) override;

  std::vector<std::string> ops;
  bool stop_after_every_op = false;

 private:
  bool Record(std::string op);
};

struct FeedResult {
  std::vector<std::string> ops;
  ParseStatus last_status = ParseStatus::kOk;
  ProtocolError error = ProtocolError::kNone;
  size_t buffered = 0;  // bytes the caller still holds after the last call (0 on error)
};

// Feeds `input` split at the given ascending cut positions, keeping unconsumed bytes like a
// read loop. On kStopped it calls Parse again with the rest. Checks the Parse contract
// (consumed <= size; kOk consumes everything) and records a violation as an "INVARIANT" op.
FeedResult Feed(std::string_view input, const std::vector<size_t>& cuts, ParserLimits limits = {},
                bool stop_after_every_op = false);

// Convenience: the whole input in one call, or byte by byte.
FeedResult FeedWhole(std::string_view input, ParserLimits limits = {});
FeedResult FeedByteByByte(std::string_view input, ParserLimits limits = {});

}  // namespace lattice::protocol::testing
