// Exact nats-server texts for permission violations, and the reserved-reply rule that
// produces one of them. Not on the fast path: called only when a check already failed.
#pragma once

#include <string>
#include <string_view>

namespace lattice::auth {

// Each returns the text that goes between the quotes of `-ERR '...'` (the server adds the
// framing), with the subject quoted like Go's %q:
//   Permissions Violation for Publish to "x"
//   Permissions Violation for Subscription to "x"
//   Permissions Violation for Subscription to "x" using queue "q"   (queue non-empty)
//   Permissions Violation for Publish with Reply of "r"
std::string PublishViolationText(std::string_view subject);
std::string SubscribeViolationText(std::string_view subject, std::string_view queue = {});
std::string ReplyViolationText(std::string_view reply);

// Appends `s` to `*out` double-quoted and escaped as Go's strconv.Quote does for ASCII
// (\" \\ \a \b \f \n \r \t \v, other control bytes as \xNN), invalid UTF-8 bytes as \xNN
// and valid multi-byte UTF-8 copied through (C1 controls U+0080..U+009F as \u00NN).
void AppendGoQuoted(std::string* out, std::string_view s);

// True for reply subjects a client may not use in PUB (nats-server isReservedReply):
// "_R_." service-import replies, "$JS.ACK." and "_GR_." gateway replies. The session
// answers with ReplyViolationText(reply) and drops the message.
bool IsReservedReply(std::string_view reply);

}  // namespace lattice::auth
