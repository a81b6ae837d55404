/** Shared pieces of the benchmarks: child processes, statistics, result files. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

/** Whether `taskset` (util-linux) can pin processes to cores here. */
export const HAS_TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** A child process that speaks JSON lines on stdin/stdout. */
export class JsonLineProcess {
  private readonly child: ChildProcess;
  private readonly lines: Interface;
  private readonly waiting: ((value: unknown) => void)[] = [];

  constructor(script: string, args: string[], nodeFlags: string[] = [], cpu?: number) {
    const command = [process.execPath, ...nodeFlags, fileURLToPath(new URL(script, import.meta.url)), ...args];
    // Pinned to one core (where taskset exists), so the load generator and the server do not trade places.
    const pinned = cpu !== undefined && HAS_TASKSET ? ['taskset', '-c', String(cpu), ...command] : command;
    this.child = spawn(pinned[0]!, pinned.slice(1), {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = createInterface({ input: this.child.stdout! });
    this.lines.on('line', (line) => this.waiting.shift()?.(JSON.parse(line)));
  }

  /** The next line the process prints, parsed. */
  read<T>(): Promise<T> {
    return new Promise((resolve) => this.waiting.push(resolve as (value: unknown) => void));
  }

  /** Sends a command and reads the answer. */
  ask<T>(command: object): Promise<T> {
    const answer = this.read<T>();
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    return answer;
  }

  /** CPU time the process has used, ms (user + system), read from /proc. */
  cpuMs(): number {
    return processCpuMs(this.child.pid!);
  }

  stop(): void {
    this.child.stdin!.end();
    this.child.kill();
  }
}

/** CPU time of a process in ms, from /proc/<pid>/stat (Linux). */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** The q-quantile (0..1) of `values`. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `bench/results/<name>.json` (under the source tree, next to this file's source). */
export function saveResult(name: string, result: object): string {
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${name}.json`;
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, date: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify({ machine, ...result }, null, 2)}\n`);
  return file;
}

/** Prints rows as an aligned table. */
export function printTable(rows: (string | number)[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  for (const row of rows) console.log(row.map((cell, i) => String(cell).padEnd(widths[i]!)).join('  '));
}
