// Bundles the CLI (src/cli/main.ts and everything it loads, grpc-js included)
// into one file, dist/cli/grpc-health.mjs: one file to read and compile instead
// of hundreds, so `grpc-health check` starts faster (see bench/startup).
// Beside it, dist/cli/THIRD-PARTY-LICENSES.txt: the name, version, license and
// license text of every package the bundle contains (NOTICE points there).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const { metafile } = await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/grpc-health.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
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
  const text = licenseFile && existsSync(join(dir, licenseFile))
    ? readFileSync(join(dir, licenseFile), 'utf8').trim()
    : `(no license file in the package; license ${license}, source ${repository?.url ?? repository ?? 'unknown'})`;
  return `${name} ${version}\nLicense: ${license}\n\n${text}\n`;
});
writeFileSync(
  'dist/cli/THIRD-PARTY-LICENSES.txt',
  `Third-party code bundled into dist/cli/grpc-health.mjs\n\n${sections.join(`\n${'-'.repeat(78)}\n\n`)}`,
);
