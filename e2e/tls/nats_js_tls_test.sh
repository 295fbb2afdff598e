#!/usr/bin/env bash
# nats.js over TLS against nats-server and lattice-node, with certificates from make_test_pki.
set -euo pipefail

runfiles="${TEST_SRCDIR:?run me with bazel test}/lattice"
source "$runfiles/e2e/js/node_test_lib.sh"
work="$(nodejs_workdir "$runfiles/e2e/tls")"
mkdir -p "$work/pki"
"$runfiles/e2e/tls/make_test_pki" "$work/pki"

export LATTICE_NODE_BIN="$runfiles/dataplane/lattice-node"
export LATTICE_GAPS_FILE="${LATTICE_GAPS_FILE:-$runfiles/e2e/known_lattice_gaps.txt}"
export PKI_DIR="$work/pki"
nodejs_run_tests "$work/nats_js_tls.test.mjs"
