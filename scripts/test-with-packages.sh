#!/usr/bin/env bash
# Runs compiled tests with some packages swapped for other versions, in a temporary
# copy: package.json, package-lock.json and node_modules are never touched. Needs a
# build (npm run build) and the npm registry (or its cache).
#
#   scripts/test-with-packages.sh "<package@version> ..." <test path or filter> ...
#   scripts/test-with-packages.sh "@grpc/grpc-js@1.14.3" test/balancer test/client
#
# The packages are installed together (with whatever they depend on) into a prefix of
# their own; every top-level package of that prefix replaces the repository's, the
# rest of node_modules is the repository's, linked. So the swapped packages and the
# compiled tests (dist/, copied) resolve the same copy of each package.
set -euo pipefail

[ "$#" -ge 2 ] || { echo "usage: $0 \"<package@version> ...\" <test> ..." >&2; exit 2; }
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
[ -d dist/test ] || { echo "dist/test missing: run npm run build first" >&2; exit 1; }

read -r -a specs <<<"$1"
shift
run="$(mktemp -d)"
trap 'rm -rf "$run"' EXIT
mkdir -p "$run/packages" "$run/node_modules"
echo '{"private": true}' >"$run/packages/package.json"
npm install --prefix "$run/packages" --prefer-offline --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
  --loglevel=error "${specs[@]}" >/dev/null

# The swapped packages first, then every other package of the repository.
link() { # link <node_modules dir> <name>: unless <name> is linked already
  [ -e "$run/node_modules/$2" ] || ln -s "$1/$2" "$run/node_modules/$2"
}
for from in "$run/packages/node_modules" "$repo/node_modules"; do
  for entry in "$from"/*; do
    name="${entry#"$from"/}"
    [ "$name" != .bin ] && [ "$name" != .package-lock.json ] || continue
    if [[ "$name" == @* ]]; then
      mkdir -p "$run/node_modules/$name"
      for sub in "$entry"/*; do link "$from" "$name/${sub##*/}"; done
    else
      link "$from" "$name"
    fi
  done
done

# Fail loudly if a swapped package is not the version asked for.
for spec in "${specs[@]}"; do
  name="${spec%@*}"
  wanted="${spec##*@}"
  actual="$(node -p "require('$run/node_modules/$name/package.json').version")"
  if [[ "$wanted" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] && [ "$actual" != "$wanted" ]; then
    echo "expected $name $wanted, loaded $actual" >&2
    exit 1
  fi
  echo "  $name $actual"
done

# The compiled tests, copied so that bare imports resolve from $run/node_modules; the
# rest of the repository (the .proto files, examples ... tests read) linked beside them.
cp -R dist "$run/dist"
for entry in * .[!.]*; do
  [ -e "$run/$entry" ] || ln -s "$repo/$entry" "$run/$entry"
done
(cd "$run" && node "$repo/scripts/run-tests.js" "$@")
