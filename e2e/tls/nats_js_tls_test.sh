#!/usr/bin/env bash
# nats.js over TLS against nats-server and lattice-node: certificates from make_test_pki, npm
# packages from e2e/js's pinned lock file (shared install cache; `npm ci` only on first use).
set -euo pipefail

runfiles="${TEST_SRCDIR:?run me with bazel test}/lattice"
src="$runfiles/e2e/tls"
shared="$runfiles/e2e/js"  # servers.mjs and the pinned npm packages
real_home="$(getent passwd "$(id -u)" | cut -d: -f6)"
cache="${LATTICE_NPM_PREFIX:-$real_home/.cache/lattice-npm/e2e-js}"
want="$(sha256sum "$shared/package-lock.json" | cut -d' ' -f1)"

if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

mkdir -p "$cache"
(
  flock 9
  if [[ ! -d "$cache/node_modules/nats" || "$(cat "$cache/.lock-sha256" 2>/dev/null)" != "$want" ]]; then
    echo "npm ci into $cache (package-lock.json changed or first run)"
    cp "$shared/package.json" "$shared/package-lock.json" "$cache/"
    rm -f "$cache/.lock-sha256"
    npm ci --prefix "$cache" --no-audit --no-fund --cache "$real_home/.npm" >&2
    echo "$want" > "$cache/.lock-sha256"
  fi
) 9>"$cache/.install.lock"

work="${TEST_TMPDIR:?}/js"
mkdir -p "$work/pki"
"$runfiles/e2e/tls/make_test_pki" "$work/pki"
cp "$src"/*.mjs "$shared/servers.mjs" "$shared/package.json" "$work/"
ln -sfn "$cache/node_modules" "$work/node_modules"

export LATTICE_NODE_BIN="$runfiles/dataplane/lattice-node"
export LATTICE_GAPS_FILE="${LATTICE_GAPS_FILE:-$runfiles/e2e/known_lattice_gaps.txt}"
export PKI_DIR="$work/pki"
cd "$work"
reporters=(--test-reporter=spec --test-reporter-destination=stdout)
if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
  reporters+=(--test-reporter=junit "--test-reporter-destination=$XML_OUTPUT_FILE")
fi
exec node --test "${reporters[@]}" "$work/nats_js_tls.test.mjs"
