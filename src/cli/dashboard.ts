/**
 * `grpc-health dashboard`: watches many backends and serves a live page of their
 * health (plus the same state as JSON and Prometheus metrics) until interrupted.
 */
import { HealthArgumentError } from '../errors.js';
import { startDashboardHttp } from '../dashboard/dashboard-http.js';
import { FleetWatcher } from '../dashboard/fleet-watcher.js';
import { parseTarget, readTargetsFile, type Target } from '../dashboard/targets.js';
import { clientFor, signalOnInterrupt } from './connection.js';
import { EXIT } from './exit-codes.js';
import { type FlagValues, UsageError } from './flags.js';
import { connectionSettings } from './options.js';

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
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`invalid value ${JSON.stringify(portText)} for flag -port`);
  const rttIntervalMs = (values['rtt-interval'] as number | undefined) ?? 5000;
  const resolveIntervalMs = (values['resolve-interval'] as number | undefined) ?? 30_000;
  for (const [flag, ms] of [['rtt-interval', rttIntervalMs], ['resolve-interval', resolveIntervalMs]] as const) {
    if (ms < 0 || ms > 2 ** 31 - 1) throw new UsageError(`-${flag} must be from 0 to 596h (specified: ${String(values[flag])})`);
  }
  // The connection flags are the check command's; each backend gets its own client from them.
  const settings = connectionSettings({ ...values, addr: targets[0]!.text });

  const watcher = new FleetWatcher({
    targets,
    services: settings.services,
    rttIntervalMs,
    resolveIntervalMs,
    clientFor: (backend) => {
      const target = targets.find((t) => t.text === backend.target);
      // A name expanded to addresses is still the name the certificate carries.
      const serverName = settings.serverName ?? (settings.tls && target?.kind === 'dns' ? target.host : undefined);
      return clientFor({ ...settings, addr: backend.address, target: backend.address, serverName });
    },
    onError: (error) => log(`dashboard: ${(error as Error)?.message ?? String(error)}`),
  });
  const interrupted = signalOnInterrupt(log);
  await watcher.start();
  let http;
  try {
    http = await startDashboardHttp(watcher.state, { host: (values.host as string | undefined) ?? '127.0.0.1', port: Number(portText) });
  } catch (error) {
    watcher.stop();
    throw new UsageError(`cannot listen: ${(error as Error).message}`);
  }
  out(`dashboard on ${http.url} watching ${watcher.state.addresses().length} backend(s)`);
  await new Promise<void>((resolve) => {
    if (interrupted.aborted) resolve();
    else interrupted.addEventListener('abort', () => resolve(), { once: true });
  });
  watcher.stop();
  await http.close();
  return EXIT.OK;
}
