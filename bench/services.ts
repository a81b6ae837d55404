/**
 * Many services (issue 6, 4): the cost of one setStatus while 10, 1,000 or 10,000
 * services are registered, each with a Watch stream open on it (only the changed
 * service's watcher should do work), and with 100,000 registered services and no
 * watchers; and List at the limit of 100 services. The ratio that matters is each
 * size's cost against the 10-service cost, measured in the same run.
 */
import * as grpc from '@grpc/grpc-js';
import { GeneratedHealthClient } from '../src/index.js';
import { JsonLineProcess, pause, printTable, quantile, saveResult } from './lib.js';

const IMPLS = ['ours', 'grpc-health-check', 'nice-grpc'] as const;

async function setCost(impl: (typeof IMPLS)[number], services: number, watched: boolean, times: number) {
  const server = new JsonLineProcess('./fixtures/health-server-process.js', [impl], ['--expose-gc']);
  const { port } = await server.read<{ port: number }>();
  let client: JsonLineProcess | undefined;
  try {
    await server.ask({ cmd: 'register', count: services, prefix: 'svc.S' });
    if (watched) {
      client = new JsonLineProcess('./fixtures/watch-clients-process.js', [String(port), String(services), '8', 'svc.S*']);
      await client.read();
      await pause(100);
    }
    // Warm up, then measure toggling one watched service.
    await server.ask({ cmd: 'setCost', service: 'svc.S0', times: 20_000 });
    const { usPerSet } = await server.ask<{ usPerSet: number }>({ cmd: 'setCost', service: 'svc.S0', times });
    return usPerSet;
  } finally {
    client?.stop();
    server.stop();
  }
}

async function listLatency(impl: (typeof IMPLS)[number], calls: number): Promise<number | string> {
  const server = new JsonLineProcess('./fixtures/health-server-process.js', [impl]);
  const { port } = await server.read<{ port: number }>();
  const client = new GeneratedHealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    await server.ask({ cmd: 'register', count: 99, prefix: 'svc.S' }); // + "" = 100, the limit
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      const error = await new Promise<grpc.ServiceError | null>((resolve) => client.list({}, (e) => resolve(e)));
      if (error) return error.code === grpc.status.UNIMPLEMENTED ? 'no List' : `error ${error.code}`;
      times.push(performance.now() - started);
    }
    return quantile(times, 0.5);
  } finally {
    client.close();
    server.stop();
  }
}

/** Runs the benchmark; `quick` stops at 500 watched services. */
export async function run({ quick }: { quick: boolean }): Promise<object> {
  const sizes = quick ? [10, 500] : [10, 1000, 10_000];
  const times = quick ? 20_000 : 200_000;
  const results: Record<string, { usPerSet: Record<string, number>; listMedianMs: number | string }> = {};
  for (const impl of IMPLS) {
    const usPerSet: Record<string, number> = {};
    for (const size of sizes) usPerSet[`${size} watched`] = await setCost(impl, size, true, times);
    usPerSet['100000 unwatched'] = await setCost(impl, 100_000, false, times);
    results[impl] = { usPerSet, listMedianMs: await listLatency(impl, quick ? 200 : 2000) };
  }
  const columns = [...sizes.map((size) => `${size} watched`), '100000 unwatched'];
  const rows: (string | number)[][] = [['server', ...columns.map((c) => `setStatus, ${c}`), 'List of 100 (median)']];
  for (const impl of IMPLS) {
    const r = results[impl]!;
    const base = r.usPerSet['10 watched']!;
    rows.push([
      impl,
      ...columns.map((c) => `${r.usPerSet[c]!.toFixed(2)} µs (${(r.usPerSet[c]! / base).toFixed(2)}x)`),
      typeof r.listMedianMs === 'number' ? `${r.listMedianMs.toFixed(3)} ms` : r.listMedianMs,
    ]);
  }
  printTable(rows);
  const result = { times, results };
  console.log(`results: ${saveResult(quick ? 'services.quick' : 'services', result)}`);
  return result;
}
