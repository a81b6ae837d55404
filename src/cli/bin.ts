#!/usr/bin/env node
/**
 * The `grpc-health` (and `grpc-health-kit`) executable: turns on Node's compile
 * cache, then loads the CLI, so later runs skip parsing and compiling the bundle and
 * grpc-js. The cache lives where Node puts it (`NODE_COMPILE_CACHE`, else
 * `<tmpdir>/node-compile-cache`); when that is not writable the CLI simply runs
 * without it.
 */
try {
  // getBuiltinModule, not an import: an ESM import of node:module evaluates its lazy exports too.
  process.getBuiltinModule('node:module').enableCompileCache();
} catch {
  // No cache: only slower.
}
await import('./main.js');
