#!/usr/bin/env bash
# Runs the nats.js e2e tests (node --test) against nats-server and lattice-node.
set -euo pipefail

runfiles="${TEST_SRCDIR:?run me with bazel test}/lattice"
source "$runfiles/e2e/js/node_test_lib.sh"
work="$(nodejs_workdir "$runfiles/e2e/js")"

export LATTICE_NODE_BIN="$runfiles/dataplane/lattice-node"
export LATTICE_GAPS_FILE="${LATTICE_GAPS_FILE:-$runfiles/e2e/known_lattice_gaps.txt}"
nodejs_run_tests "$work/nats_js.test.mjs"
