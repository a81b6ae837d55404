#!/usr/bin/env bash
# Runs the balancer, client and server tests against the lowest and the newest
# @grpc/grpc-js the peer range admits (or the versions given as arguments),
# each installed in a temporary copy: package.json and package-lock.json are
# never touched. Needs a build (npm run build) and network access to the npm registry.
#
#   scripts/test-grpc-js-versions.sh            # lowest and newest of the peer range
#   scripts/test-grpc-js-versions.sh 1.14.3     # one version
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
[ -d dist/test ] || { echo "dist/test missing: run npm run build first" >&2; exit 1; }

range="$(node -p "require('./package.json').peerDependencies['@grpc/grpc-js']")"
if [ "$#" -gt 0 ]; then
  versions=("$@")
else
  # The lowest and newest published versions inside the peer range.
  mapfile -t versions < <(npm view "@grpc/grpc-js@$range" version --json |
    node -e '
      const key = (v) => v.split(/[.-]/).map((p) => p.padStart(8, "0")).join(".");
      const v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8"))).sort((a, b) => (key(a) < key(b) ? -1 : 1));
      console.log(v[0]);
      if (v.length > 1) console.log(v[v.length - 1]);')
fi

tests=(${GRPC_JS_TESTS:-test/balancer test/client test/server/health-server})
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
for version in "${versions[@]}"; do
  echo "=== @grpc/grpc-js@$version (peer range $range)"
  run="$work/$version"
  mkdir -p "$run/node_modules/@grpc" "$run/grpc-js"
  # The compiled tests, copied so that bare imports resolve from $run/node_modules.
  cp -R dist "$run/dist"
  cp package.json "$run/"
  npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts --prefix "$run/grpc-js" "@grpc/grpc-js@$version" >/dev/null
  # Every other dependency is the repo's own; grpc-js is the version under test.
  for entry in node_modules/*; do
    if [[ "$entry" == node_modules/@* ]]; then
      mkdir -p "$run/$entry"
      for sub in "$entry"/*; do
        [ "$sub" = node_modules/@grpc/grpc-js ] || ln -s "$repo/$sub" "$run/$sub"
      done
    else
      ln -s "$repo/$entry" "$run/$entry"
    fi
  done
  ln -s "$run/grpc-js/node_modules/@grpc/grpc-js" "$run/node_modules/@grpc/grpc-js"
  actual="$(cd "$run" && node -p "require('@grpc/grpc-js/package.json').version")"
  [ "$actual" = "$version" ] || { echo "expected grpc-js $version, loaded $actual" >&2; exit 1; }
  (cd "$run" && node "$repo/scripts/run-tests.js" "${tests[@]}") || status=1
done
exit "$status"
