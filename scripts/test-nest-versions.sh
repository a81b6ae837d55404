#!/usr/bin/env bash
# Runs the NestJS tests (test/nestjs: the module, the drain in Nest's lifecycle, the
# example app of examples/nestjs under SIGTERM) on the newest release of each Nest
# major the peer range admits (or the majors given), through
# scripts/test-with-packages.sh. Needs a build (npm run build) and the npm registry.
#
#   scripts/test-nest-versions.sh          # every major of the @nestjs/common peer range
#   scripts/test-nest-versions.sh 11       # one major
set -euo pipefail
cd "$(dirname "$0")/.."

range="$(node -p "require('./package.json').peerDependencies['@nestjs/common']")"
if [ "$#" -gt 0 ]; then
  majors=("$@")
else
  # "^11.0.0 || ^12.0.0" → 11 12
  mapfile -t majors < <(grep -oE '\^[0-9]+' <<<"$range" | tr -d '^')
fi
# The packages Nest shares with the tests stay at the repository's versions.
version() { node -p "require('./node_modules/$1/package.json').version"; }
shared="@grpc/grpc-js@$(version @grpc/grpc-js) rxjs@$(version rxjs) reflect-metadata@$(version reflect-metadata)"

status=0
for major in "${majors[@]}"; do
  echo "=== NestJS $major (peer range $range)"
  nest="@nestjs/common@$major @nestjs/core@$major @nestjs/microservices@$major @nestjs/terminus@$major"
  bash scripts/test-with-packages.sh "$nest $shared" test/nestjs || status=1
done
exit "$status"
