/**
 * examples/, as a user would compile them: against the packed package installed into a
 * project of their own, type-checked (strict, NodeNext). The guides (README.md and
 * docs/) are followed and run by test/docs/guides.test.ts.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installPacked, root, run } from './packed-package.js';

// npm pack, npm install and tsc: over the runner's default timeout under load.
describe('examples/, against the packed package', { timeout: 300_000 }, () => {
  let dir: string;

  before(
    async () => {
      // Inside the repository, so that examples importing a devDependency (an adapter's
      // framework) find it; the package itself and @grpc/grpc-js come from the project's
      // own node_modules, installed from the tarball.
      mkdirSync(join(root, 'dist'), { recursive: true });
      dir = await mkdtemp(join(root, 'dist', 'snippets-'));
      await installPacked(dir, { type: 'module' });
      cpSync(join(root, 'examples'), join(dir, 'examples'), { recursive: true });
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2023'],
            types: ['node'],
            strict: true,
            skipLibCheck: true,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            rootDir: '.',
            noEmit: true,
          },
          include: ['examples'],
        }),
      );
    },
    { timeout: 180_000 },
  );
  after(() => dir && rm(dir, { recursive: true, force: true }));

  it('every example type-checks (strict, NodeNext)', { timeout: 120_000 }, async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', '.'], { cwd: dir }).catch((error: { stdout: string }) => error);
    assert.equal(result.stdout.trim(), '', `type errors:\n${result.stdout}`);
  });
});
