// The package's entry points, one line each: subpath → module under src/ (no extension).
// Each gets an ESM build (dist/src, tsc) and a CommonJS build (dist/cjs, scripts/build-cjs.js),
// with types for both. After editing the list run `npm run exports`, which writes
// package.json "exports"; test/package.test.ts fails while the two disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

export const entries = {
  '.': 'index',
  './connect': 'adapters/connect/index',
  './nice-grpc': 'adapters/nice-grpc/index',
  './nestjs': 'nestjs/index',
  './prometheus': 'metrics/prometheus',
  './opentelemetry': 'metrics/opentelemetry',
};

/** package.json "exports" for `entries`, plus the .proto files and package.json. */
export function packageExports() {
  const exports = {};
  for (const [subpath, module] of Object.entries(entries)) {
    exports[subpath] = {
      import: { types: `./dist/src/${module}.d.ts`, default: `./dist/src/${module}.js` },
      require: { types: `./dist/cjs/${module}.d.ts`, default: `./dist/cjs/${module}.js` },
    };
  }
  exports['./proto/*'] = './proto/*';
  exports['./package.json'] = './package.json';
  return exports;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = new URL('../package.json', import.meta.url);
  const pkg = JSON.parse(readFileSync(path, 'utf8'));
  pkg.exports = packageExports();
  writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
}
