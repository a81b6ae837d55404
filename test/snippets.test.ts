/**
 * README.md's code blocks and examples/, as a user would use them: against the packed
 * package installed into a project of their own, type-checked (strict, NodeNext), and
 * the blocks marked to run, run until they prove themselves. The convention is in
 * README.md, "Development".
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthClient } from '../src/index.js';
import { within } from './helpers.js';
import { installPacked, root, run } from './packed-package.js';

/** A fenced TypeScript or JavaScript block of README.md. */
interface Snippet {
  /** README.md line of the opening fence. */
  line: number;
  /** Path in the test project: readme/L<line>.ts (or .mjs). */
  file: string;
  /** From `<!-- snippet: <mode> -->` on the line before the fence: what running it must prove. */
  mode: 'check' | 'run' | 'run-server';
  code: string;
}

const LANGUAGES: Record<string, string> = { ts: 'ts', typescript: 'ts', js: 'mjs', javascript: 'mjs', mjs: 'mjs' };

function readmeSnippets(): Snippet[] {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w+)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    assert.ok(end > i, `README.md:${i + 1}: the block never closes`);
    const extension = LANGUAGES[fence[1]!.toLowerCase()];
    if (extension) {
      const marker = /^<!--\s*snippet:\s*([\w-]+)\s*-->$/.exec(lines[i - 1]?.trim() ?? '');
      const mode = (marker?.[1] ?? 'check') as Snippet['mode'];
      assert.ok(['check', 'run', 'run-server'].includes(mode), `README.md:${i}: unknown snippet mode "${mode}"`);
      snippets.push({ line: i + 1, file: `readme/L${i + 1}.${extension}`, mode, code: lines.slice(i + 1, end).join('\n') });
    }
    i = end;
  }
  return snippets;
}

/** Starts a compiled snippet; resolves with its exit code, stdout and stderr once it ends. */
function start(file: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, exited, output: () => stdout };
}

// npm pack, npm install and tsc over every block: over the runner's default timeout under load.
describe('README.md code blocks and examples/, against the packed package', { timeout: 300_000 }, () => {
  const snippets = readmeSnippets();
  let dir: string;
  const compiled = (snippet: Snippet) => join(dir, 'out', snippet.file.replace(/\.ts$/, '.js'));

  before(
    async () => {
      // Inside the repository, so that blocks and examples importing a devDependency (an
      // adapter's framework) find it; the package itself and @grpc/grpc-js come from the
      // project's own node_modules, installed from the tarball.
      mkdirSync(join(root, 'dist'), { recursive: true });
      dir = await mkdtemp(join(root, 'dist', 'snippets-'));
      await installPacked(dir, { type: 'module' });
      mkdirSync(join(dir, 'readme'));
      for (const snippet of snippets) await writeFile(join(dir, snippet.file), snippet.code);
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
            allowJs: true,
            checkJs: true,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            rootDir: '.',
            outDir: 'out',
            noEmitOnError: false,
          },
          include: ['readme', 'examples'],
        }),
      );
    },
    { timeout: 180_000 },
  );
  after(() => dir && rm(dir, { recursive: true, force: true }));

  it('README.md has blocks to check, and one server that runs', () => {
    assert.ok(snippets.length >= 3, `${snippets.length} blocks`);
    assert.ok(snippets.some((s) => s.mode === 'run-server'));
  });

  it('every block and every example type-checks (strict, NodeNext)', { timeout: 120_000 }, async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', '.'], { cwd: dir }).catch((error: { stdout: string }) => error);
    // readme/L40.ts(3,7): ... → README.md:42 (block line + line in block)
    const errors = result.stdout.replace(
      /readme\/L(\d+)\.\w+\((\d+),(\d+)\)/g,
      (_m: string, at: string, line: string, col: string) => `README.md:${Number(at) + Number(line)}:${col}`,
    );
    assert.equal(errors.trim(), '', `type errors:\n${errors}`);
  });

  for (const snippet of snippets.filter((s) => s.mode === 'run')) {
    it(`README.md:${snippet.line} runs and exits 0`, { timeout: 30_000 }, async () => {
      const { exited } = start(compiled(snippet), {});
      const { code, stdout, stderr } = await within(exited, 25_000, 'the program to exit');
      assert.equal(code, 0, `${stdout}\n${stderr}`);
    });
  }

  for (const snippet of snippets.filter((s) => s.mode === 'run-server')) {
    it(`README.md:${snippet.line} serves: Check answers SERVING, SIGTERM exits 0`, { timeout: 30_000 }, async () => {
      const server = start(compiled(snippet), { ADDRESS: '127.0.0.1:0' });
      let client: HealthClient | undefined;
      try {
        const port = await within(
          (async () => {
            for (;;) {
              const match = /\bport (\d+)\b/.exec(server.output());
              if (match) return match[1];
              await Promise.race([once(server.child.stdout, 'data'), server.exited]);
              if (server.child.exitCode !== null) throw new Error(`exited ${server.child.exitCode}`);
            }
          })(),
          10_000,
          'the server to print "port <n>"',
        );
        client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        assert.equal(await client.check(''), 'SERVING');
        client.close();
        server.child.kill('SIGTERM');
        const { code } = await within(server.exited, 20_000, 'the server to exit after SIGTERM');
        assert.equal(code, 0);
      } finally {
        client?.close();
        server.child.kill('SIGKILL');
      }
    });

    it(`README.md:${snippet.line} reports a port in use and exits non-zero`, { timeout: 20_000 }, async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const server = start(compiled(snippet), { ADDRESS: `127.0.0.1:${(taken.address() as { port: number }).port}` });
      try {
        const { code, stderr } = await within(server.exited, 15_000, 'the server to exit');
        assert.notEqual(code, 0);
        assert.notEqual(stderr.trim(), '', 'no error reported');
      } finally {
        server.child.kill('SIGKILL');
        taken.close();
      }
    });
  }
});
