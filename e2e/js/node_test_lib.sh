# Sourced by the nats.js test scripts (e2e/js, e2e/tls, ...): installs the npm packages pinned by
# e2e/js/package-lock.json with `npm ci` into a cache outside the repository and the sandbox
# (reinstalled only when the lock file changes), and runs `node --test` beside them.
#
#   source "$TEST_SRCDIR/lattice/e2e/js/node_test_lib.sh"
#   work="$(nodejs_workdir "$runfiles/e2e/tls")"   # copies that folder's *.mjs, links node_modules
#   nodejs_run_tests "$work/foo.test.mjs"           # exec node --test with spec + JUnit reporters

nodejs_shared="${TEST_SRCDIR:?run me with bazel test}/lattice/e2e/js"

# Bazel clears the environment: npm (node) then ignores the system trust store that a TLS-
# intercepting proxy may rely on. Point node at Debian's CA bundle unless told otherwise.
if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi

# Prints the node_modules folder, installing it first when missing or stale.
nodejs_modules() {
  local real_home cache want
  real_home="$(getent passwd "$(id -u)" | cut -d: -f6)"
  cache="${LATTICE_NPM_PREFIX:-$real_home/.cache/lattice-npm/e2e-js}"
  want="$(sha256sum "$nodejs_shared/package-lock.json" | cut -d' ' -f1)"
  mkdir -p "$cache"
  (
    # One installer at a time (several bazel runs may share the cache).
    flock 9
    if [[ ! -d "$cache/node_modules/nats" || "$(cat "$cache/.lock-sha256" 2>/dev/null)" != "$want" ]]; then
      echo "npm ci into $cache (package-lock.json changed or first run)" >&2
      cp "$nodejs_shared/package.json" "$nodejs_shared/package-lock.json" "$cache/"
      rm -f "$cache/.lock-sha256"
      npm ci --prefix "$cache" --no-audit --no-fund --cache "$real_home/.npm" >&2
      echo "$want" > "$cache/.lock-sha256"
    fi
  ) 9>"$cache/.install.lock"
  echo "$cache/node_modules"
}

# node resolves packages next to the test files: a scratch folder with copies of the test's
# *.mjs, the shared servers.mjs and a node_modules link. Prints its path.
nodejs_workdir() {
  local src="$1" modules work
  modules="$(nodejs_modules)"
  work="${TEST_TMPDIR:?}/js"
  mkdir -p "$work"
  cp "$src"/*.mjs "$nodejs_shared/servers.mjs" "$nodejs_shared/package.json" "$work/"
  ln -sfn "$modules" "$work/node_modules"
  echo "$work"
}

# Human-readable output in the log, JUnit XML where Bazel collects per-case results.
nodejs_run_tests() {
  local reporters=(--test-reporter=spec --test-reporter-destination=stdout)
  if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
    reporters+=(--test-reporter=junit "--test-reporter-destination=$XML_OUTPUT_FILE")
  fi
  cd "$(dirname "$1")"
  exec node --test "${reporters[@]}" "$@"
}
