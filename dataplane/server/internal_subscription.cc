// SubscribeInternal / UnsubscribeInternal over an account's index.
#include "dataplane/server/internal_subscription.h"

#include <utility>

#include "dataplane/server/account.h"

namespace lattice::server {

std::shared_ptr<InternalSubscription> SubscribeInternal(Account& account, std::string subject,
                                                        InternalHandler handler) {
  auto sub = std::make_shared<InternalSubscription>();
  sub->subject = std::move(subject);
  sub->handler = std::move(handler);
  if (!account.sublist().Insert(sub)) {
    return nullptr;
  }
  return sub;
}

void UnsubscribeInternal(Account& account, const std::shared_ptr<InternalSubscription>& sub) {
  if (sub != nullptr && !sub->removed.exchange(true, std::memory_order_acq_rel)) {
    account.sublist().Remove(sub);
  }
}

}  // namespace lattice::server
