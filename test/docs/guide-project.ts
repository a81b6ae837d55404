/**
 * A reader's project for a guide: a fresh directory, the guide's own set-up lines run
 * with the packed package in place of the registry's, its files written verbatim,
 * type-checked, and its commands run as a shell runs them.
 *
 * Two liberties, both for the test machine: an `npm install` line gets the repository's
 * versions of the packages it names (so the guide is tested with what the repository
 * tests with) and `--prefer-offline --no-audit --no-fund`; and in commands, `localhost`
 * becomes 127.0.0.1 and a guide's default port the one the program really bound (tests
 * never use a fixed port).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { within } from '../helpers.js';
import { root, run } from '../packed-package.js';
import { type Guide, shellLines } from './guide.js';

/** Node runs `.ts` files itself (type stripping, on by default from 22.18 and 23.6). */
export const nodeRunsTypeScript = Boolean((process.features as { typescript?: unknown }).typescript);

let packed: Promise<string> | undefined;
/** `npm pack` of the repository, once per run: the tarball's path (see {@link removeTarball}). */
export function tarball(): Promise<string> {
  packed ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'guides-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
    return join(dir, (JSON.parse(stdout) as [{ filename: string }])[0].filename);
  })();
  return packed;
}

const bases = new Map<string, Promise<GuideProject>>();
/** The project of a guide others build on, made once per run. */
function baseProject(guide: Guide): Promise<GuideProject> {
  let made = bases.get(guide.path);
  if (!made) bases.set(guide.path, (made = GuideProject.create(guide)));
  return made;
}

/** Removes the tarball's directory and the base projects. */
export async function removeShared(): Promise<void> {
  for (const base of bases.values()) await (await base.catch(() => undefined))?.remove();
  if (packed) await rm(dirname(await packed), { recursive: true, force: true });
}

/** The version of a package in the repository's node_modules, if it has it. */
function repositoryVersion(name: string): string | undefined {
  // `npm install typescript` gives a user TypeScript 7 today: the repository has it as
  // `typescript-7` (its `typescript` is 5.9, for typescript-eslint).
  const file = join(root, 'node_modules', name === 'typescript' ? 'typescript-7' : name, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : undefined;
}

/** An `npm install` line with the packed package and the repository's versions. */
async function pinned(line: string): Promise<string> {
  const words = line.split(/\s+/);
  if (words[0] !== 'npm' || !['install', 'i', 'add'].includes(words[1]!)) return line;
  const out = await Promise.all(
    words.map(async (word, i) => {
      if (i < 2 || word.startsWith('-')) return word;
      if (word === 'grpc-health-kit') return tarball();
      const name = word.replace(/(.)@.*$/, '$1');
      const version = repositoryVersion(name);
      return version ? `${name}@${version}` : word;
    }),
  );
  return [...out, '--prefer-offline', '--no-audit', '--no-fund'].join(' ');
}

/** A command's result. */
export interface Ran {
  code: number | null;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A program started in the background. */
export interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<Ran>;
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** SIGKILL to its process group, if still running. */
  kill(): void;
}

/** A fresh project following one guide. */
export class GuideProject {
  /** Guide default port → the port a running program really has. */
  readonly ports = new Map<string, string>();

  private constructor(
    readonly guide: Guide,
    readonly dir: string,
  ) {}

  /**
   * A temporary directory with the guide's set-up and files. A guide that builds on
   * another (the README's quick start) starts from a copy of that one's project, made
   * once per run (the base guide's own tests get a copy of it too).
   */
  static async create(guide: Guide, base?: Guide): Promise<GuideProject> {
    const dir = await mkdtemp(join(tmpdir(), 'guide-'));
    if (base) await cp((await baseProject(base)).dir, dir, { recursive: true, verbatimSymlinks: true });
    const project = new GuideProject(guide, dir);
    if (base !== guide) await project.setUp();
    return project;
  }

  private async setUp(): Promise<void> {
    for (const block of this.guide.of('install')) {
      for (const line of shellLines(block.text)) await this.shell(await pinned(line), { timeout: 180_000 }, true);
    }
    for (const block of this.guide.of('file')) await this.write(block.name, block.text);
    await this.writeFragments();
  }

  private async write(path: string, text: string): Promise<void> {
    await mkdir(dirname(join(this.dir, path)), { recursive: true });
    await writeFile(join(this.dir, path), text);
  }

  /** Each fragment is in the guide's whole file, or goes into its frame. */
  private async writeFragments(): Promise<void> {
    const byFile = new Map<string, string[]>();
    for (const fragment of this.guide.of('fragment')) {
      const whole = this.guide.of('file').find((block) => block.name === fragment.name);
      if (whole) {
        assert.ok(whole.text.includes(fragment.text), `${this.guide.path}:${fragment.line}: not part of ${fragment.name} as shown`);
      } else {
        byFile.set(fragment.name, [...(byFile.get(fragment.name) ?? []), fragment.text]);
      }
    }
    for (const [path, fragments] of byFile) {
      const frameName = this.guide.path.replace(/^docs\//, '').replace(/\.md$/, '');
      // `.frame`: not part of the repository's own build, lint or format check.
      const frame = await readFile(join(root, 'test/docs/frames', frameName, `${path}.frame`), 'utf8');
      assert.ok(frame.includes('/* fragment */'), `frame of ${path} has no /* fragment */`);
      await this.write(path, frame.replace('/* fragment */', fragments.join('\n')));
    }
  }

  /** Type-checks the project with its own TypeScript and tsconfig.json; errors name guide lines. */
  async typeCheck(): Promise<void> {
    const result = await run(process.execPath, [join(this.dir, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
      cwd: this.dir,
      timeout: 120_000,
    }).catch((error: { stdout: string; stderr: string }) => error);
    const blocks = this.guide.of('file');
    const errors = `${result.stdout}${result.stderr}`.replace(/^([\w./-]+)\((\d+),(\d+)\)/gm, (all, file: string, line: string) => {
      const block = blocks.find((b) => b.name === file);
      return block ? `${this.guide.path}:${block.line + Number(line)} (${all})` : all;
    });
    assert.equal(errors.trim(), '', `type errors:\n${errors}`);
  }

  /** A guide's command line as it runs here: localhost → 127.0.0.1, default ports → the real ones. */
  resolve(command: string): string {
    let resolved = command.replace(/\blocalhost\b/g, '127.0.0.1');
    for (const [port, real] of this.ports) resolved = resolved.replace(new RegExp(`(?<![\\d.])${port}(?!\\d)`, 'g'), real);
    return resolved;
  }

  private env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    // The node running the tests, and the project's bins, first on the PATH.
    const path = [dirname(process.execPath), join(this.dir, 'node_modules/.bin'), process.env.PATH].join(':');
    return { ...process.env, PATH: path, NO_COLOR: '1', ...extra };
  }

  /** Runs a shell line in the project; with `check`, a non-zero exit fails the test. */
  async shell(line: string, options: { env?: Record<string, string>; timeout?: number } = {}, check = false): Promise<Ran> {
    const started = this.spawn(line, options.env ?? {});
    const ran = await within(started.exited, options.timeout ?? 30_000, `\`${line}\` to end`).finally(() => started.kill());
    if (check) assert.equal(ran.code, 0, `\`${line}\` exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
    return ran;
  }

  /** Runs a command of the guide (resolved); returns its result. */
  command(line: string, env?: Record<string, string>): Promise<Ran> {
    return this.shell(this.resolve(line), env === undefined ? {} : { env });
  }

  /** Starts a guide's command (resolved) in the background; signals reach the program itself. */
  start(line: string, env: Record<string, string> = {}): Started {
    // `A=1 node x.ts` → `A=1 exec node x.ts`
    return this.spawn(this.resolve(line).replace(/^((?:\w+=\S*\s+)*)/, '$1exec '), env);
  }

  private spawn(line: string, env: Record<string, string>): Started {
    const child = spawn('bash', ['-c', line], {
      cwd: this.dir,
      env: this.env(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: kill() ends what it started too (npx runs the bin as a child).
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      stdout,
      stderr,
    }));
    return {
      child,
      output: () => stdout,
      exited,
      async waitFor(pattern, ms = 20_000) {
        return within(
          (async () => {
            for (;;) {
              const match = pattern.exec(stdout);
              if (match) return match;
              if (child.exitCode !== null || child.signalCode !== null) {
                throw new Error(`\`${line}\` exited ${child.exitCode ?? child.signalCode}:\n${stdout}\n${stderr}`);
              }
              await Promise.race([once(child.stdout!, 'data'), exited]);
            }
          })(),
          ms,
          `\`${line}\` to print ${pattern} (stdout so far: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify(stderr)})`,
        );
      },
      kill() {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      },
    };
  }

  /** Removes the project. */
  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}
