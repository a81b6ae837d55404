/** Runs the built CLI as a child process, as a user would. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { within } from '../helpers.js';

/** The bundled CLI, as `npm install` ships it (`bin`). */
export const CLI = fileURLToPath(new URL('../../cli/grpc-health.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process with its output so far. */
export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves when stdout (or stderr) matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', ms?: number): Promise<void>;
  done: Promise<CliResult>;
}

/** `nodeArgs` go to node before the CLI (e.g. `--import` of a fixture that stands in for the system resolver). */
export function startCli(args: string[], options: { input?: string; nodeArgs?: string[] } = {}): CliProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiters) waiter();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const waiter of waiters) waiter();
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor(pattern, stream = 'stdout', ms = 5000) {
      const read = () => (stream === 'stdout' ? stdout : stderr);
      return within(
        new Promise<void>((resolve) => {
          const check = () => {
            if (pattern.test(read())) {
              waiters.delete(check);
              resolve();
            }
          };
          waiters.add(check);
          check();
        }),
        ms,
        `${pattern} on ${stream} (have stdout ${JSON.stringify(stdout)}, stderr ${JSON.stringify(stderr)})`,
      );
    },
    done,
  };
}

/** Runs the CLI to the end (bounded). */
export async function runCli(args: string[], ms = 10_000): Promise<CliResult> {
  const running = startCli(args);
  try {
    return await within(running.done, ms, `grpc-health ${args.join(' ')}`);
  } finally {
    running.child.kill('SIGKILL');
  }
}
