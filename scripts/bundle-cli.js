// Bundles the CLI into dist/cli/ in two builds: grpc-health.mjs (the bin: compile
// cache on, then the rest) and the dispatcher holding `check`, which loads no grpc-js;
// and the grpc-js commands (watch.mjs, list.mjs, dashboard.mjs, serve.mjs) with their
// shared chunks. A `check` reads and compiles only what it runs (bench/startup.ts).
// Beside them, dist/cli/THIRD-PARTY-LICENSES.txt: the name, version, license and
// license text of every package the bundle contains (NOTICE points there).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Options both builds share. */
const common = {
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  metafile: true,
  logLevel: 'warning',
};
const GRPC_JS_COMMANDS = ['watch', 'list', 'dashboard', 'serve'];

// The probe's path, apart: the bin, then the dispatcher with `check` in it, in as few
// files as possible (each file costs a probe's start-up; bench/startup.ts). The other
// commands are imported from the second build's files, by name.
const probe = await build({
  ...common,
  entryPoints: { 'grpc-health': 'src/cli/bin.ts' },
  chunkNames: '[name]-[hash]',
  plugins: [
    {
      name: 'grpc-js-commands-apart',
      setup(build) {
        const command = new RegExp(`^\\./(${GRPC_JS_COMMANDS.join('|')})\\.js$`);
        build.onResolve({ filter: command }, ({ path, importer }) =>
          importer.endsWith('src/cli/main.ts') ? { path: path.replace(/\.js$/, '.mjs'), external: true } : undefined,
        );
      },
    },
  ],
});

// The grpc-js commands: one file each (named, for the dispatcher) and shared chunks.
const commands = await build({
  ...common,
  entryPoints: Object.fromEntries(GRPC_JS_COMMANDS.map((name) => [name, `src/cli/${name}.ts`])),
  chunkNames: 'shared-[hash]',
  // grpc-js loads @grpc/proto-loader (and protobufjs) only for channelz and ORCA,
  // which no command uses: left out of the bundle, resolved from node_modules if ever needed.
  external: ['@grpc/proto-loader'],
  // grpc-js is CommonJS and calls require() for Node's built-ins. (getBuiltinModule, not
  // an import of node:module, whose ESM facade evaluates all its lazy exports.)
  banner: { js: "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);" },
});
const metafile = {
  inputs: { ...probe.metafile.inputs, ...commands.metafile.inputs },
  outputs: { ...probe.metafile.outputs, ...commands.metafile.outputs },
};

// The import graph of the chunks, for test/cli/bundle.test.ts (which checks that `check`
// never reaches grpc-js); beside dist/cli, not in it, so it is not shipped.
writeFileSync('dist/cli-metafile.json', JSON.stringify(metafile));

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
