/**
 * The package as users get it: `npm pack`, install the tarball into an empty ESM
 * project (with @grpc/grpc-js as the user's own copy), import it, run a check, and
 * see the types resolve.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

// npm pack, npm install and tsc: over the runner's default test timeout under load.
describe('the packed package', { timeout: 240_000 }, () => {
  it('installs into an empty project, imports, checks, and ships only what is needed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grpc-health-kit-pack-'));
    try {
      const { stdout: packed } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root, timeout: 60_000 });
      const [info] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
      const files = info.files.map((f) => f.path);
      assert.ok(files.includes('dist/src/index.js') && files.includes('dist/src/index.d.ts'));
      assert.ok(files.includes('proto/grpc/health/v1/health.proto'));
      assert.ok(!files.some((f) => f.startsWith('dist/test') || f.startsWith('src/') || f.startsWith('test/')), files.join(' '));

      const grpcVersion = JSON.parse(await readFile(join(root, 'node_modules/@grpc/grpc-js/package.json'), 'utf8')).version;
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }));
      await run(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename), `@grpc/grpc-js@${grpcVersion}`],
        { cwd: dir, timeout: 120_000 },
      );
      await writeFile(
        join(dir, 'app.mjs'),
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
      const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, timeout: 10_000 });
      assert.equal(stdout.trim(), 'SERVING NOT_SERVING');

      // The CLI is on the PATH of npm scripts and npx, as `grpc-health`.
      const { stdout: version } = await run(join(dir, 'node_modules/.bin/grpc-health'), ['-version'], { cwd: dir, timeout: 10_000 });
      assert.match(version, /^grpc-health \(grpc-health-kit\) /);

      // The declarations resolve for a TypeScript user (NodeNext, strict).
      await writeFile(
        join(dir, 'typed.ts'),
        `import { HealthServer, type ServingStatus } from 'grpc-health-kit';
const status: ServingStatus = new HealthServer().getStatus('') ?? 'UNKNOWN';
export default status;
`,
      );
      const tsc = join(root, 'node_modules/typescript/bin/tsc');
      await run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'typed.ts'], {
        cwd: dir,
        timeout: 60_000,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
