/**
 * The real Prometheus for tests: `promtool` and a `prometheus` server from
 * Debian's `prometheus` package, each test's server on 127.0.0.1 with its own
 * temporary directory. Without them the tests skip with a message, except in CI
 * (env `CI` set), where their absence fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { within } from '../helpers.js';

/** The shipped monitoring files (`monitoring/` at the package root). */
export const MONITORING_DIR = fileURLToPath(new URL('../../../monitoring/', import.meta.url));

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The `skip` option for a suite that needs `tools`: false when they are installed;
 * a message when they are not and this is no CI run. In CI a missing tool is an
 * error: the suite runs and fails.
 */
export function skipUnlessInstalled(...tools: string[]): string | false {
  const missing = tools.filter((tool) => !onPath(tool));
  if (missing.length === 0 || process.env.CI) return false;
  return `${missing.join(' and ')} not installed (Debian: apt-get install prometheus); in CI (env CI set) this fails instead`;
}

/** Fails with a clear message when a tool is missing (in CI, where nothing is skipped). */
export function assertInstalled(...tools: string[]): void {
  const missing = tools.filter((tool) => !onPath(tool));
  assert.deepEqual(missing, [], `${missing.join(' and ')} must be installed for this test (Debian: apt-get install prometheus)`);
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `promtool` with `args` (and `input` on stdin), bounded in time. */
export async function promtool(args: string[], input?: string, ms = 30_000): Promise<ToolResult> {
  const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  try {
    return await within(
      new Promise<ToolResult>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      }),
      ms,
      `promtool ${args.join(' ')}`,
    );
  } finally {
    child.kill('SIGKILL');
  }
}

/** GETs `url` (loopback only), bounded in time. */
export function httpGet(url: string, ms = 10_000): Promise<{ status: number; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      get(url, { agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      }).on('error', reject);
    }),
    ms,
    `GET ${url}`,
  );
}

/** A free port on 127.0.0.1, found by binding port 0 (for a process that cannot be told port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One series of an instant query's answer. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** One series of a range selector's answer: every raw sample. */
export interface RawSeries {
  metric: Record<string, string>;
  values: [at: number, value: number][];
}

/** A running Prometheus server. */
export interface RunningPrometheus {
  readonly url: string;
  /** An instant query (HTTP API `/api/v1/query`); fails on a PromQL error. */
  query(expr: string): Promise<Sample[]>;
  /** The raw samples of a range selector (`metric[1m]`). */
  samples(selector: string): Promise<RawSeries[]>;
  /** `/api/v1/alerts`. */
  alerts(): Promise<{ labels: Record<string, string>; state: string; value: string }[]>;
  /** Ends the process (SIGTERM, SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

interface ApiAnswer<T> {
  status: string;
  error?: string;
  data: T;
}

/**
 * Starts `prometheus` with `config` (YAML; `rule_files` relative paths are the
 * caller's to make absolute) on 127.0.0.1 and waits until it is ready.
 */
export async function startPrometheus(config: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), config);
  // The port is found free, then given: another process may take it in between, so try again.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.on('error', () => {});
    const url = `http://127.0.0.1:${port}`;
    const ready = (async () => {
      for (;;) {
        const answer = await httpGet(`${url}/-/ready`, 2000).catch(() => undefined);
        if (answer?.status === 200) return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const first = await within(
      Promise.race([ready, exited.then(() => false)]),
      30_000,
      `prometheus to be ready on ${url} (stderr: ${stderr})`,
    ).catch((error: unknown) => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw error;
    });
    if (!first) {
      if (attempt < 5 && /address already in use/.test(stderr)) continue;
      rmSync(dir, { recursive: true, force: true });
      assert.fail(`prometheus exited before it was ready: ${stderr}`);
    }
    const api = async <T>(path: string): Promise<T> => {
      const { status, body } = await httpGet(`${url}${path}`);
      const answer = JSON.parse(body) as ApiAnswer<T>;
      assert.equal(answer.status, 'success', `${path}: HTTP ${status} ${answer.error ?? body}`);
      return answer.data;
    };
    let stopping: Promise<void> | undefined;
    return {
      url,
      async query(expr) {
        const data = await api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(
          `/api/v1/query?query=${encodeURIComponent(expr)}`,
        );
        assert.equal(data.resultType, 'vector', `${expr} is an instant vector`);
        return data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
      },
      async samples(selector) {
        const data = await api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(
          `/api/v1/query?query=${encodeURIComponent(selector)}`,
        );
        return data.result.map(({ metric, values }) => ({ metric, values: values.map(([at, value]) => [at, Number(value)]) }));
      },
      async alerts() {
        return (await api<{ alerts: { labels: Record<string, string>; state: string; value: string }[] }>('/api/v1/alerts')).alerts;
      },
      stop() {
        stopping ??= (async () => {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
          rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
  }
}
