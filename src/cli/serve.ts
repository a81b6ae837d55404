/**
 * `grpc-health serve`: a stand-alone health server for trying things out and for
 * testing proxies and probes. Statuses change from stdin lines
 * (`svc=NOT_SERVING`, `clear svc`, `shutdown`, `resume`) or SIGUSR1 (toggles
 * shutdown/resume).
 */
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { HealthServer, type SettableStatus } from '../server/health-server.js';
import { parseServingStatus } from '../status.js';
import type { Command } from './command.js';
import { type FlagValues, UsageError } from './flags.js';
import { abortOnInterrupt } from './interrupt.js';

function parseAssignment(text: string): [string, SettableStatus] {
  const eq = text.lastIndexOf('=');
  const status = eq === -1 ? undefined : parseServingStatus(text.slice(eq + 1));
  if (eq === -1 || status === undefined || status === 'SERVICE_UNKNOWN') {
    throw new UsageError(`invalid status ${JSON.stringify(text)}: want service=SERVING, service=NOT_SERVING or service=UNKNOWN`);
  }
  return [text.slice(0, eq), status];
}

/** Runs the server until SIGINT/SIGTERM or the end of stdin with -exit-on-eof; returns the exit code. */
export async function runServe(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const portText = (values.port as string | undefined) ?? '50051';
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new UsageError(`invalid value ${JSON.stringify(portText)} for flag -port`);
  const initial = (values.status as string[]).map(parseAssignment);

  const health = new HealthServer();
  for (const [service, status] of initial) health.setStatus(service, status);
  const server = new grpc.Server();
  health.addToServer(server);
  const address = host.includes(':') ? `[${host}]:${portText}` : `${host}:${portText}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  ).catch((error: Error) => {
    throw new UsageError(`cannot listen on ${address}: ${error.message}`);
  });
  out(`listening on ${host}:${port}`);
  const show = () => log(`statuses: ${[...health.getStatuses()].map(([s, v]) => `${JSON.stringify(s)}=${v}`).join(' ')}`);
  show();

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (raw) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      if (line === 'shutdown') health.shutdown();
      else if (line === 'resume') health.resume();
      else if (line.startsWith('clear ')) health.clearStatus(line.slice(6).trim());
      else health.setStatus(...parseAssignment(line));
      show();
    } catch (error) {
      log(`error: ${(error as Error).message}`);
    }
  });
  process.on('SIGUSR1', () => {
    if (health.isShutdown) health.resume();
    else health.shutdown();
    show();
  });

  const interrupted = abortOnInterrupt(log);
  await new Promise<void>((resolve) => {
    interrupted.addEventListener('abort', () => resolve(), { once: true });
    if (values['exit-on-eof'] === true) lines.once('close', resolve);
  });
  lines.close();
  server.forceShutdown();
  return 0;
}

/** `grpc-health serve`. */
export const serveCommand: Command = {
  usage: 'grpc-health serve [-host 127.0.0.1] [-port 50051] [-status svc=SERVING]...',
  flags: {
    host: { kind: 'string', help: 'address to listen on', defaultValue: '127.0.0.1' },
    port: { kind: 'string', help: 'port to listen on (0: any free port)', defaultValue: '50051' },
    status: { kind: 'list', help: 'initial status, service=SERVING|NOT_SERVING|UNKNOWN ("" starts SERVING); repeatable' },
    'exit-on-eof': { kind: 'bool', help: 'stop when stdin ends' },
  },
  examples: [
    'grpc-health serve -port 50051 -status echo.Echo=NOT_SERVING',
    'then type on stdin: echo.Echo=SERVING | clear echo.Echo | shutdown | resume   (SIGUSR1 toggles shutdown)',
  ],
  run: runServe,
};
