/**
 * The package as users get it: packed, installed into an empty CommonJS project (as a
 * NestJS app is) with its own @grpc/grpc-js, then used from ESM, CommonJS, Jest 29 in
 * CommonJS mode, TypeScript (the oldest we claim and 7; ESM and CommonJS; nodenext and
 * bundler) and the CLI; the tarball checked by publint and Are the Types Wrong; its
 * bin run through `npm exec` from an empty directory.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { HealthServer } from '../src/index.js';
import { installPacked, type PackedProject, root, run } from './packed-package.js';

// The entry list and the "exports" it makes (scripts/package-exports.js, plain JS).
const { entries, packageExports } = (await import(pathToFileURL(join(root, 'scripts/package-exports.js')).href)) as {
  entries: Record<string, string>;
  packageExports(): unknown;
};

// npm pack, npm install and tsc: over the runner's default test timeout under load.
describe('the packed package', { timeout: 600_000 }, () => {
  let project: PackedProject;
  const file = (name: string) => join(project.dir, name);
  const installed = (name: string) => join(project.dir, 'node_modules/grpc-health-kit', name);

  before(
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'grpc-health-kit-pack-'));
      // Jest as NestJS projects run it: CommonJS, no transform.
      project = await installPacked(dir, { jest: { testEnvironment: 'node', transform: {} } });
    },
    { timeout: 180_000 },
  );
  after(() => project && rm(project.dir, { recursive: true, force: true }));

  // The files "exports", "main", "types" and "bin" name, and the module format of each
  // (dist/cjs/package.json), are publint's to check (below).
  it('ships the sources of the maps, the proto, LICENSE, NOTICE and the licenses of the CLI bundle; no tests, bench or examples', () => {
    for (const needed of [
      'dist/cli/THIRD-PARTY-LICENSES.txt',
      'src/index.ts',
      'proto/grpc/health/v1/health.proto',
      'LICENSE',
      'NOTICE',
      'README.md',
      'package.json',
    ])
      assert.ok(project.files.includes(needed), `${needed} is missing`);
    const stray = project.files.filter((f) => /(^|\/)(test|bench|fixtures|examples)\//.test(f) || f.endsWith('.tgz'));
    assert.deepEqual(stray, []);
  });

  it('every source map and declaration map points at files in the package', async () => {
    const maps = project.files.filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 50, `${maps.length} maps`);
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(installed(map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = normalize(join(dirname(map), source));
        assert.ok(project.files.includes(target), `${map} points at ${source}, not in the package`);
      }
    }
  });

  it('ESM: imports, answers a Check, and the CLI runs', { timeout: 30_000 }, async () => {
    await writeFile(
      file('app.mjs'),
      `import * as grpc from '@grpc/grpc-js';
import { HealthServer, HealthClient } from 'grpc-health-kit';
const server = new grpc.Server();
const health = new HealthServer();
health.addToServer(server);
health.setStatus('app.App', 'NOT_SERVING');
const port = await new Promise((ok, ko) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => e ? ko(e) : ok(p)));
const client = new HealthClient('127.0.0.1:' + port, grpc.credentials.createInsecure());
console.log(await client.check(''), await client.check('app.App'));
client.close();
server.forceShutdown();
`,
    );
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: project.dir, timeout: 10_000 });
    assert.equal(stdout.trim(), 'SERVING NOT_SERVING');
    // The CLI is on the PATH of npm scripts and in node_modules/.bin, as `grpc-health`.
    const { stdout: version } = await run(file('node_modules/.bin/grpc-health'), ['-version'], { cwd: project.dir });
    assert.match(version, /^grpc-health \(grpc-health-kit\) /);
  });

  it('CommonJS: require() loads the CommonJS build, with the same exports as import', { timeout: 30_000 }, async () => {
    await writeFile(
      file('exports.mjs'),
      `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const subpaths = ${JSON.stringify(Object.keys(entries))}.map((s) => s === '.' ? 'grpc-health-kit' : 'grpc-health-kit' + s.slice(1));
const result = {};
for (const name of subpaths) {
  result[name] = { file: require.resolve(name), esm: Object.keys(await import(name)).sort(), cjs: Object.keys(require(name)).sort() };
}
console.log(JSON.stringify(result));
`,
    );
    const { stdout } = await run(process.execPath, ['exports.mjs'], { cwd: project.dir, timeout: 10_000 });
    for (const [name, { file: resolved, esm, cjs }] of Object.entries(
      JSON.parse(stdout) as Record<string, { file: string; esm: string[]; cjs: string[] }>,
    )) {
      assert.match(resolved, /dist\/cjs\//, `${name} resolves to ${resolved}`);
      assert.deepEqual(cjs, esm, name);
    }
    await writeFile(
      file('app.cjs'),
      `const grpc = require('@grpc/grpc-js');
const { HealthServer, HealthClient, protoPath } = require('grpc-health-kit');
const server = new grpc.Server();
new HealthServer().addToServer(server);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), async (error, port) => {
  if (error) throw error;
  const client = new HealthClient('127.0.0.1:' + port, grpc.credentials.createInsecure());
  console.log(await client.check(''), require('node:fs').existsSync(protoPath));
  client.close();
  server.forceShutdown();
});
`,
    );
    const { stdout: checked } = await run(process.execPath, ['app.cjs'], { cwd: project.dir, timeout: 10_000 });
    assert.equal(checked.trim(), 'SERVING true');
  });

  it('CommonJS: Jest 29 (CommonJS mode, no transform) loads it and a Check passes', { timeout: 90_000 }, async () => {
    await writeFile(
      file('health.test.js'),
      `const grpc = require('@grpc/grpc-js');
const { HealthServer, HealthClient, HealthArgumentError } = require('grpc-health-kit');

test('a HealthServer answers Check', async () => {
  const server = new grpc.Server();
  const health = new HealthServer();
  health.addToServer(server);
  expect(() => health.setStatus('x', 'MAYBE')).toThrow(HealthArgumentError);
  const port = await new Promise((ok, ko) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? ko(e) : ok(p))));
  const client = new HealthClient('127.0.0.1:' + port, grpc.credentials.createInsecure());
  try {
    expect(await client.check('')).toBe('SERVING');
  } finally {
    client.close();
    server.forceShutdown();
  }
});
`,
    );
    const jest = join(root, 'node_modules/jest/bin/jest.js');
    const { stderr } = await run(process.execPath, [jest, '--ci', '--rootDir', project.dir], { cwd: project.dir, timeout: 80_000 });
    assert.match(stderr, /Tests: +1 passed, 1 total/);
  });

  // The oldest TypeScript the README states, and the newest. Below 5.8, @bufbuild/protobuf's
  // own declarations (Uint8Array<ArrayBuffer>, TypeScript 5.7) and Nest 12's ESM-only
  // declarations required from CommonJS (TypeScript 5.8) fail a full check.
  for (const typescript of ['typescript-5.8', 'typescript-7']) {
    it(
      `TypeScript (${typescript}): every subpath type-checks for ESM and CommonJS consumers, nodenext and bundler, no skipLibCheck`,
      { timeout: 240_000 },
      async () => {
        const subpaths = Object.keys(entries).map((s) => (s === '.' ? 'grpc-health-kit' : `grpc-health-kit${s.slice(1)}`));
        const source = `${subpaths.map((name, i) => `import * as entry${i} from '${name}';\nexport type Entry${i} = typeof entry${i};`).join('\n')}
import { HealthServer, protoPath, type ServingStatus } from 'grpc-health-kit';
const status: ServingStatus = new HealthServer().getStatus('') ?? 'UNKNOWN';
export const used: [ServingStatus, string] = [status, protoPath];
`;
        const dir = file(`types-${typescript}`);
        await mkdir(dir, { recursive: true });
        const tsc = join(root, 'node_modules', typescript, 'bin/tsc');
        // The user's @types/node: the repository's.
        const common = ['--noEmit', '--strict', '--target', 'es2022', '--typeRoots', join(root, 'node_modules/@types'), '--types', 'node'];
        // Each file is read in the format its extension says: .mts and .ts as ESM (the
        // "import" condition), .cts as CommonJS ("require").
        const consumers: [string[], string[]][] = [
          [
            ['esm.mts', 'cjs.cts'],
            ['--module', 'nodenext', '--moduleResolution', 'nodenext'],
          ],
          [
            ['bundled.ts', 'bundled.cts'],
            ['--module', 'esnext', '--moduleResolution', 'bundler'],
          ],
        ];
        for (const [files, options] of consumers) {
          for (const name of files) await writeFile(join(dir, name), source);
          const result = await run(process.execPath, [tsc, ...common, ...options, ...files], { cwd: dir }).catch(
            (error: { stdout: string }) => error,
          );
          assert.equal(result.stdout.trim(), '', `${typescript} ${options.join(' ')}`);
        }
      },
    );
  }

  it('publint --strict finds nothing in the tarball', { timeout: 60_000 }, async () => {
    const publint = join(root, 'node_modules/publint/src/cli.js');
    const { stdout } = await run(process.execPath, [publint, 'run', '--strict', project.tarball], { cwd: project.dir });
    assert.match(stdout, /All good!/);
  });

  it('Are the Types Wrong (--profile node16) finds nothing in the tarball', { timeout: 60_000 }, async () => {
    // Its exit code is the verdict: the node16 profile leaves out node10 resolution, which
    // subpath exports cannot have.
    const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const result = await run(process.execPath, [attw, '--profile', 'node16', '--no-color', project.tarball], { cwd: project.dir }).then(
      () => undefined,
      (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
    );
    assert.equal(result, undefined, result);
  });

  it('npx grpc-health-kit: `npm exec --package <tarball>` from an empty directory checks a server', { timeout: 150_000 }, async () => {
    const empty = await mkdtemp(join(tmpdir(), 'grpc-health-kit-exec-'));
    const server = new grpc.Server();
    const health = new HealthServer();
    health.addToServer(server);
    health.setStatus('app.App', 'NOT_SERVING');
    try {
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        ),
      );
      // The tarball's one dependency (@bufbuild/protobuf) and its peers come from npm's cache.
      const exec = ['exec', '--yes', '--prefer-offline', '--no-audit', '--no-fund', '--package', project.tarball, '--', 'grpc-health-kit'];
      // Generous timeouts: the machine may be busy.
      const check = ['check', '-addr', `127.0.0.1:${port}`, '-connect-timeout', '20s', '-rpc-timeout', '20s'];
      const { stderr } = await run('npm', [...exec, ...check], { cwd: empty, timeout: 140_000 });
      assert.equal(stderr.trim(), 'status: SERVING');
      const notServing = await run('npm', [...exec, ...check, '-service', 'app.App'], { cwd: empty, timeout: 60_000 }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
      assert.equal(notServing, 4);
    } finally {
      server.forceShutdown();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('protoPath and grpc-health-kit/proto/* name the shipped .proto', { timeout: 10_000 }, async () => {
    await writeFile(
      file('proto.mjs'),
      `import { protoPath } from 'grpc-health-kit';
console.log(JSON.stringify([protoPath, import.meta.resolve('grpc-health-kit/proto/grpc/health/v1/health.proto')]));
`,
    );
    const { stdout } = await run(process.execPath, ['proto.mjs'], { cwd: project.dir, timeout: 10_000 });
    const [protoPath, resolved] = JSON.parse(stdout) as [string, string];
    assert.equal(protoPath, installed('proto/grpc/health/v1/health.proto'));
    assert.equal(new URL(resolved).pathname, protoPath);
    assert.ok(existsSync(protoPath));
  });
});

describe('package.json', () => {
  it('"exports" is what scripts/package-exports.js makes from its entry list (run `npm run exports`)', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { exports: unknown };
    assert.deepEqual(pkg.exports, packageExports());
  });
});
