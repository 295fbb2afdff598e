#!/usr/bin/env bash
# nats.js with creds files against nats-server and lattice-node in operator mode.
set -euo pipefail

runfiles="${TEST_SRCDIR:?run me with bazel test}/lattice"
source "$runfiles/e2e/js/node_test_lib.sh"
work="$(nodejs_workdir "$runfiles/e2e/operator")"
mkdir -p "$work/fixture"
"$runfiles/e2e/operator/make_operator_fixture" "$work/fixture"

export LATTICE_NODE_BIN="$runfiles/dataplane/lattice-node"
export LATTICE_GAPS_FILE="${LATTICE_GAPS_FILE:-$runfiles/e2e/known_lattice_gaps.txt}"
export OPERATOR_FIXTURE="$work/fixture"
nodejs_run_tests "$work/nats_js_operator.test.mjs"
