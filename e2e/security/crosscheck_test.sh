#!/usr/bin/env bash
# Installs the official NATS JS libraries (npm ci, cached under ~/.cache/lattice-npm/security
# and refreshed when the committed lock file changes), then runs the cross-check suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
js="${here}/js"
tool="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
# Bazel clears $HOME for tests; npm needs one for its cache.
export HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
prefix="${HOME}/.cache/lattice-npm/security"
mkdir -p "${prefix}"
if ! cmp -s "${js}/package-lock.json" "${prefix}/package-lock.json" \
   || [ ! -d "${prefix}/node_modules/@nats-io/jwt" ]; then
  cp "${js}/package.json" "${js}/package-lock.json" "${prefix}/"
  npm ci --prefix "${prefix}" --no-audit --no-fund --loglevel=error
fi
export LATTICE_NPM_PREFIX="${prefix}"
export XCHECK_TOOL="${tool}"
exec node --test "${js}/crosscheck.test.cjs"
