// Bundles the CLI into dist/cli/: grpc-health.mjs (the bin: compile cache on,
// then the rest), the command dispatcher, and one chunk per command, so a
// `check` reads and compiles only what it runs (see bench/startup.ts).
// Beside them, dist/cli/THIRD-PARTY-LICENSES.txt: the name, version, license and
// license text of every package the bundle contains (NOTICE points there).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const { metafile } = await build({
  entryPoints: { 'grpc-health': 'src/cli/bin.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // grpc-js loads @grpc/proto-loader (and protobufjs) only for channelz and ORCA,
  // which no command uses: left out of the bundle, resolved from node_modules if ever needed.
  external: ['@grpc/proto-loader'],
  // grpc-js is CommonJS and calls require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});

// node_modules/<name>/... or node_modules/@scope/<name>/... → the package's directory.
const packageDirs = new Set(
  Object.keys(metafile.inputs)
    .map((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
    .filter((dir) => dir !== undefined),
);
const sections = [...packageDirs].sort().map((dir) => {
  const { name, version, license, repository } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(dir).find((file) => /^(licen[sc]e|copying)(\.|$)/i.test(file));
  const text =
    licenseFile && existsSync(join(dir, licenseFile))
      ? readFileSync(join(dir, licenseFile), 'utf8').trim()
      : `(no license file in the package; license ${license}, source ${repository?.url ?? repository ?? 'unknown'})`;
  return `${name} ${version}\nLicense: ${license}\n\n${text}\n`;
});
writeFileSync(
  'dist/cli/THIRD-PARTY-LICENSES.txt',
  `Third-party code bundled into the files of dist/cli/\n\n${sections.join(`\n${'-'.repeat(78)}\n\n`)}`,
);
