// The CommonJS build, for consumers that `require` (Jest in CommonJS mode, older
// tools): every module under src/ but the CLI, transpiled one file to one file (no
// bundling, so each module exists once, as in the ESM build) into dist/cjs/, beside a
// package.json that makes them CommonJS. Types: the ESM build's declarations, copied
// (they read the same in both formats). dist/cjs/ sits as deep as dist/src/, so
// relative paths (source maps, ../../proto) resolve the same from both.
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

function files(dir, suffix) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (path === join('src', 'cli') || path === join('dist', 'src', 'cli')) return [];
    if (entry.isDirectory()) return files(path, suffix);
    return entry.name.endsWith(suffix) ? [path] : [];
  });
}

const sources = files('src', '.ts');
const usesImportMeta = (file) => readFileSync(file, 'utf8').includes('import.meta');
const common = {
  outbase: 'src',
  outdir: 'dist/cjs',
  format: 'cjs',
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
};
await build({ ...common, entryPoints: sources.filter((file) => !usesImportMeta(file)) });
// import.meta.url has no CommonJS counterpart but the file's own URL.
await build({
  ...common,
  entryPoints: sources.filter(usesImportMeta),
  define: { 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

for (const file of files(join('dist', 'src'), '.d.ts')) {
  cpSync(file, file.replace(join('dist', 'src'), join('dist', 'cjs')));
  cpSync(`${file}.map`, `${file.replace(join('dist', 'src'), join('dist', 'cjs'))}.map`);
}
writeFileSync('dist/cjs/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);
