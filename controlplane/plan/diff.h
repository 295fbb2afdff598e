// Field-level diffs of JSON documents, the readable part of a plan ("nats.limits.conn: -1 -> 5").
#pragma once

#include <string>
#include <vector>

#include "nlohmann/json.hpp"

#include "lattice/control/v1/admin.pb.h"

namespace lattice::plan {

using Json = nlohmann::json;

// Flattens objects into dotted paths ("a.b.c"); arrays and scalars are leaves rendered as JSON
// text, so a changed list shows as one line. Null and absent are the same.
// Thread: pure function, any thread.
std::vector<control::v1::FieldDiff> DiffJson(const Json& before, const Json& after);

// A Change for `kind/key`: OP_CREATE when `before` is null, OP_DELETE when `after` is null,
// otherwise OP_UPDATE. Returns false (and leaves `out` alone) when nothing differs.
bool MakeChange(std::string kind, std::string key, const Json& before, const Json& after,
                control::v1::Change* out);

// Multi-line human rendering of a plan, as latticectl prints it:
//   + account/ABC
//       nats.limits.conn: (none) -> 5
//   ! error: import "svc.x" from AXYZ: exporter has no such export
std::string RenderPlan(const control::v1::Plan& plan);

}  // namespace lattice::plan
