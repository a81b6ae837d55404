/**
 * `grpc-health dashboard`: watches many backends and serves a live page of their
 * health (plus the same state as JSON and Prometheus metrics) until interrupted.
 */
import { HealthArgumentError } from '../errors.js';
import { startDashboardHttp } from '../dashboard/dashboard-http.js';
import type { FleetTarget } from '../dashboard/fleet-state.js';
import { FleetWatcher } from '../dashboard/fleet-watcher.js';
import { parseShard, type Shard, WHOLE_FLEET } from '../dashboard/shard.js';
import { parseTarget, readTargetsFile, type Target } from '../dashboard/targets.js';
import type { Command } from './command.js';
import { clientFor } from './connection.js';
import { nsToMs } from './duration.js';
import { EXIT } from './exit-codes.js';
import { type FlagValues, UsageError } from './flags.js';
import { abortOnInterrupt } from './interrupt.js';
import { CONNECTION_FLAGS, connectionSettings } from './options.js';

/**
 * Each backend's channel keeps its subchannel to itself: in grpc-js's shared pool,
 * every channel's close and a timer every 10 s walk all subchannels of the
 * process, so thousands of backends made closing them quadratic (seconds at
 * 5,000) and cost a steady share of a core.
 */
const DASHBOARD_CHANNEL_OPTIONS = { 'grpc.use_local_subchannel_pool': 1 } as const;

// setTimeout's limit: a longer interval would fire at once.
const MAX_INTERVAL_NS = BigInt(2 ** 31 - 1) * 1_000_000n;

function intervalMs(values: FlagValues, flag: string, fallbackNs: bigint): number {
  const ns = (values[flag] as bigint | undefined) ?? fallbackNs;
  if (ns < 0n || ns > MAX_INTERVAL_NS) throw new UsageError(`-${flag} must be from 0 to 596h`);
  return nsToMs(ns);
}

/** The one stderr line about a target whose resolution failed, changed its error, or works again. */
function targetLine(target: FleetTarget): string {
  const addresses = `${target.addresses.length} address${target.addresses.length === 1 ? '' : 'es'}`;
  if (target.error === undefined) return `dashboard: target ${target.target} resolves again: ${addresses}`;
  const kept = target.addresses.length > 0 ? `; keeping its last ${addresses}` : '';
  const retry =
    target.nextAttemptAt === undefined ? '' : `; next attempt in ${Math.max(0, Math.round((target.nextAttemptAt - Date.now()) / 1000))}s`;
  return `dashboard: target ${target.target}: ${target.error}${kept}${retry}`;
}

/** Runs the dashboard until SIGINT/SIGTERM; returns the exit code. */
export async function runDashboard(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const targets: Target[] = [];
  try {
    for (const text of values.target as string[]) targets.push(parseTarget(text));
    const file = values['targets-file'] as string | undefined;
    if (file !== undefined) targets.push(...readTargetsFile(file));
  } catch (error) {
    if (error instanceof HealthArgumentError) throw new UsageError(error.message);
    throw error;
  }
  if (targets.length === 0) throw new UsageError('no targets: give -target host:port (repeatable) or -targets-file');
  const portText = (values.port as string | undefined) ?? '8080';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new UsageError(`invalid value ${JSON.stringify(portText)} for flag -port`);
  const streamsText = (values['max-event-streams'] as string | undefined) ?? '256';
  if (!/^\d{1,6}$/.test(streamsText) || Number(streamsText) < 1 || Number(streamsText) > 100_000)
    throw new UsageError(`invalid value ${JSON.stringify(streamsText)} for flag -max-event-streams: want 1 to 100000`);
  let shard: Shard = WHOLE_FLEET;
  const allowedHosts = values['allow-host'] as string[];
  try {
    const shardText = values.shard as string | undefined;
    if (shardText !== undefined) shard = parseShard(shardText);
  } catch (error) {
    if (error instanceof HealthArgumentError) throw new UsageError(error.message);
    throw error;
  }
  const rttIntervalMs = intervalMs(values, 'rtt-interval', 5_000_000_000n);
  const resolveIntervalMs = intervalMs(values, 'resolve-interval', 30_000_000_000n);
  // The connection flags are the check command's; each backend gets its own client from them.
  const settings = connectionSettings({ ...values, addr: targets[0]!.text });
  const described = `${targets.length} target(s)${shard.count > 1 ? `, shard ${shard.index}/${shard.count}` : ''}`;

  const watcher = new FleetWatcher({
    targets,
    services: settings.services,
    rttIntervalMs,
    resolveIntervalMs,
    shard,
    onTargetError: (target) => log(targetLine(target)),
    clientFor: (backend) => {
      const target = targets.find((t) => t.text === backend.target);
      // A name expanded to addresses is still the name the certificate carries.
      const serverName = settings.serverName ?? (settings.tls && target?.kind === 'dns' ? target.host : undefined);
      return clientFor({ ...settings, addr: backend.address, target: backend.address, serverName }, DASHBOARD_CHANNEL_OPTIONS);
    },
    onError: (error) => log(`dashboard: ${error instanceof Error ? error.message : String(error)}`),
  });
  const interrupted = abortOnInterrupt(log);
  // The first resolution waits as long as the system resolver does (its timeouts
  // and retries, a thread pool full of lookups): a signal meanwhile ends the command.
  const stopped = new Promise<void>((resolve) => interrupted.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.race([watcher.start(), stopped]);
  if (interrupted.aborted) {
    watcher.stop();
    return EXIT.OK;
  }
  let http;
  try {
    http = await startDashboardHttp(watcher.state, {
      host: (values.host as string | undefined) ?? '127.0.0.1',
      port: Number(portText),
      maxEventStreams: Number(streamsText),
      allowedHosts,
    });
  } catch (error) {
    watcher.stop();
    if (error instanceof HealthArgumentError) throw new UsageError(error.message);
    throw new UsageError(`cannot listen: ${(error as Error).message}`);
  }
  out(`dashboard on ${http.url} watching ${watcher.state.addresses().length} backend(s) of ${described}`);
  await new Promise<void>((resolve) => {
    if (interrupted.aborted) resolve();
    else interrupted.addEventListener('abort', () => resolve(), { once: true });
  });
  watcher.stop();
  await http.close();
  return EXIT.OK;
}

/** The `dashboard` command. */
export const dashboardCommand: Command = {
  usage:
    'grpc-health dashboard -target host:port|dns:///name:port... [-targets-file f] [-service name]... [-port 8080] [-shard i/n] [-allow-host name]... [flags]',
  flags: {
    target: { kind: 'list', help: 'host:port, dns:///name:port (every address, re-resolved) or unix:///path; repeatable' },
    'targets-file': {
      kind: 'string',
      help: 'file with one target a line (# comments); a line that is not a target is shown with its error',
    },
    service: CONNECTION_FLAGS.service,
    host: { kind: 'string', help: 'address the page listens on', defaultValue: '127.0.0.1' },
    port: { kind: 'string', help: 'port the page listens on (0: any free port)', defaultValue: '8080' },
    'allow-host': {
      kind: 'list',
      help: 'a host name the page may be reached by (besides the listening address and localhost); repeatable',
    },
    'max-event-streams': { kind: 'string', help: 'live page connections open at once; more are refused (503)', defaultValue: '256' },
    shard: {
      kind: 'string',
      help: 'watch only shard i of n (0-based: 0/3, 1/3, 2/3): each backend address is hashed into exactly one shard',
    },
    'rtt-interval': {
      kind: 'duration',
      help: 'how often each backend is Checked for its round-trip time (0: never)',
      defaultValue: 5_000_000_000n,
    },
    'resolve-interval': { kind: 'duration', help: 'how often dns: targets are resolved again', defaultValue: 30_000_000_000n },
    'rpc-timeout': CONNECTION_FLAGS['rpc-timeout'],
    'user-agent': CONNECTION_FLAGS['user-agent'],
    'rpc-header': CONNECTION_FLAGS['rpc-header'],
    tls: CONNECTION_FLAGS.tls,
    'tls-ca-cert': CONNECTION_FLAGS['tls-ca-cert'],
    'tls-client-cert': CONNECTION_FLAGS['tls-client-cert'],
    'tls-client-key': CONNECTION_FLAGS['tls-client-key'],
    'tls-no-verify': CONNECTION_FLAGS['tls-no-verify'],
    'tls-server-name': CONNECTION_FLAGS['tls-server-name'],
  },
  examples: [
    'grpc-health dashboard -target dns:///orders.internal:50051 -service orders.Orders -port 8080',
    'grpc-health dashboard -targets-file fleet.txt -service "" -service echo.Echo',
    'grpc-health dashboard -targets-file fleet.txt -shard 0/2 -host 0.0.0.0 -allow-host dash-0.internal   # one of two processes',
  ],
  run: runDashboard,
};
