/**
 * Graceful shutdown in one call: on SIGTERM, publish NOT_SERVING everywhere (load
 * balancers and client-side health checking move traffic away), wait `drainMs`,
 * then stop the server, ending every Watch stream so `tryShutdown` can finish, and
 * force it only past `timeoutMs`. In-flight RPCs complete. A second signal forces.
 */
import type { DependencyChecks } from './checks/dependency-checks.js';
import { drainAndStop, type StoppableServer } from './drain.js';
import type { HealthServer } from './server/health-server.js';

/** Options of {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** Signals that start the shutdown. Default `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** How long to keep serving, NOT_SERVING, so clients move away. Default 5000 ms. */
  drainMs?: number;
  /** From the signal, when to give up on a graceful stop and force it. Default 30000 ms. */
  timeoutMs?: number;
  /** Checks to stop first, so they no longer change statuses. */
  checks?: DependencyChecks;
  /** Runs after the server has stopped (close pools, flush logs). */
  onStopped?: () => void | Promise<void>;
  /** Ends the process when done: exit code 0, or 1 when the stop had to be forced. Default true. */
  exit?: boolean;
  /** Where progress lines go. Default: nowhere. */
  log?: (line: string) => void;
}

/** Control of an installed graceful shutdown. */
export interface GracefulShutdown {
  /** Starts the shutdown now, as a signal would; resolves when the server has stopped (true: gracefully). */
  shutdown(): Promise<boolean>;
  /** Removes the signal handlers. */
  dispose(): void;
}

/**
 * Installs signal handlers that drain and stop `server`: a grpc-js `Server`, or
 * any {@link StoppableServer} (`stoppableNiceServer(server)` for nice-grpc).
 *
 * ```ts
 * gracefulShutdown(server, health, { drainMs: 5000, timeoutMs: 20000 });
 * ```
 */
export function gracefulShutdown(server: StoppableServer, health: HealthServer, options: GracefulShutdownOptions = {}): GracefulShutdown {
  const { signals = ['SIGTERM', 'SIGINT'], drainMs = 5000, timeoutMs = 30_000, exit = true } = options;
  const log = options.log ?? (() => {});
  let stopping: Promise<boolean> | undefined;
  let force: (() => void) | undefined;

  const run = async (): Promise<boolean> => {
    const drain = drainAndStop(server, health, { drainMs, timeoutMs, checks: options.checks, log });
    force = drain.force;
    const graceful = await drain.stopped;
    await options.onStopped?.();
    if (exit) process.exit(graceful ? 0 : 1);
    return graceful;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again: forcing`);
      force?.();
      return;
    }
    log(`${signal} received`);
    stopping = run();
  };
  const handlers = signals.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);

  return {
    shutdown: () => (stopping ??= run()),
    dispose: () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
