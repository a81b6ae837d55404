// Bundles the CLI (src/cli/main.ts and everything it loads, grpc-js included)
// into one file, dist/cli/grpc-health.mjs: one file to read and compile instead
// of hundreds, so `grpc-health check` starts faster (see bench/startup).
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/grpc-health.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // grpc-js is CommonJS and calls require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
