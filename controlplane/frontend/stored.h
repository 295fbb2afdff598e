// Protobuf values in the store: typed get/list helpers and the operator's single key.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "controlplane/store/store.h"

namespace lattice::frontend {

inline constexpr char kOperatorKey[] = "operator";

template <typename Message>
absl::StatusOr<std::optional<Message>> GetProto(const store::Store& store, store::Kind kind,
                                                const std::string& key) {
  absl::StatusOr<std::optional<std::string>> raw = store.Get(kind, key);
  if (!raw.ok())
    return raw.status();
  if (!raw->has_value())
    return std::optional<Message>();
  Message message;
  if (!message.ParseFromString(**raw)) {
    return absl::DataLossError(
        absl::StrCat("stored ", std::string(store::KindName(kind)), "/", key, " does not parse"));
  }
  return std::optional<Message>(std::move(message));
}

// Every value of `kind`, in key order.
template <typename Message>
absl::StatusOr<std::vector<Message>> ListProto(const store::Store& store, store::Kind kind) {
  std::vector<Message> out;
  std::string after;
  while (true) {
    absl::StatusOr<std::vector<store::Entry>> page = store.List(kind, after, 500);
    if (!page.ok())
      return page.status();
    for (const store::Entry& entry : *page) {
      Message message;
      if (!message.ParseFromString(entry.value)) {
        return absl::DataLossError(absl::StrCat("stored ", std::string(store::KindName(kind)), "/",
                                                entry.key, " does not parse"));
      }
      out.push_back(std::move(message));
    }
    if (page->size() < 500)
      return out;
    after = page->back().key;
  }
}

}  // namespace lattice::frontend
