// SubscribeInternal / UnsubscribeInternal over an account's index.
#include "dataplane/server/internal_subscription.h"

#include <atomic>
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

std::shared_ptr<InternalSubscription> SubscribeStreamImport(Account& exporter, std::string subject,
                                                            StreamImportRoute route) {
  static std::atomic<uint64_t> next_id{1};
  route.id = next_id.fetch_add(1, std::memory_order_relaxed);
  auto sub = std::make_shared<InternalSubscription>();
  sub->subject = std::move(subject);
  sub->stream_import = std::make_unique<const StreamImportRoute>(std::move(route));
  if (!exporter.sublist().Insert(sub)) {
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
