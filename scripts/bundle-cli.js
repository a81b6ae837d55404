// Bundles the CLI into dist/cli/: grpc-health.mjs (the bin: compile cache on,
// then the rest), the command dispatcher, and one chunk per command, so a
// `check` reads and compiles only what it runs (see bench/startup.ts).
import { build } from 'esbuild';

await build({
  entryPoints: { 'grpc-health': 'src/cli/bin.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // grpc-js loads @grpc/proto-loader (and protobufjs) only for channelz and ORCA,
  // which no command uses: left out of the bundle, resolved from node_modules if ever needed.
  external: ['@grpc/proto-loader'],
  // grpc-js is CommonJS and calls require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
