#!/usr/bin/env bash
# Runs the balancer, client and server tests against the lowest and the newest
# @grpc/grpc-js the peer range admits (or the versions given as arguments), each
# through scripts/test-with-packages.sh. Needs a build (npm run build) and the npm registry.
#
#   scripts/test-grpc-js-versions.sh            # lowest and newest of the peer range
#   scripts/test-grpc-js-versions.sh 1.14.3     # one version
set -euo pipefail
cd "$(dirname "$0")/.."

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

read -r -a tests <<<"${GRPC_JS_TESTS:-test/balancer test/client test/server/health-server}"
status=0
for version in "${versions[@]}"; do
  echo "=== @grpc/grpc-js@$version (peer range $range)"
  bash scripts/test-with-packages.sh "@grpc/grpc-js@$version" "${tests[@]}" || status=1
done
exit "$status"
