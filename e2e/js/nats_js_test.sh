#!/usr/bin/env bash
# Runs the nats.js e2e tests (node --test) with npm packages installed by `npm ci` into a cache
# outside the repository and the sandbox, reinstalled only when package-lock.json changes.
set -euo pipefail

runfiles="${TEST_SRCDIR:?run me with bazel test}/lattice"
src="$runfiles/e2e/js"
real_home="$(getent passwd "$(id -u)" | cut -d: -f6)"
cache="${LATTICE_NPM_PREFIX:-$real_home/.cache/lattice-npm/e2e-js}"
want="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"

# Bazel clears the environment: npm (node) then ignores the system trust store that a TLS-
# intercepting proxy may rely on. Point node at Debian's CA bundle unless told otherwise.
if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

mkdir -p "$cache"
(
  # One installer at a time (several bazel runs may share the cache).
  flock 9
  if [[ ! -d "$cache/node_modules/nats" || "$(cat "$cache/.lock-sha256" 2>/dev/null)" != "$want" ]]; then
    echo "npm ci into $cache (package-lock.json changed or first run)"
    cp "$src/package.json" "$src/package-lock.json" "$cache/"
    rm -f "$cache/.lock-sha256"
    npm ci --prefix "$cache" --no-audit --no-fund --cache "$real_home/.npm" >&2
    echo "$want" > "$cache/.lock-sha256"
  fi
) 9>"$cache/.install.lock"

# node resolves packages next to the test files: run copies of them beside a node_modules link.
work="${TEST_TMPDIR:?}/js"
mkdir -p "$work"
cp "$src"/*.mjs "$src/package.json" "$work/"
ln -sfn "$cache/node_modules" "$work/node_modules"

export LATTICE_NODE_BIN="$runfiles/dataplane/lattice-node"
export LATTICE_GAPS_FILE="${LATTICE_GAPS_FILE:-$runfiles/e2e/known_lattice_gaps.txt}"
cd "$work"
# Human-readable output in the log, JUnit XML where Bazel collects per-case results.
reporters=(--test-reporter=spec --test-reporter-destination=stdout)
if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
  reporters+=(--test-reporter=junit "--test-reporter-destination=$XML_OUTPUT_FILE")
fi
exec node --test "${reporters[@]}" "$work/nats_js.test.mjs"
