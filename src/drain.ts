/**
 * The drain-and-stop sequence shared by `gracefulShutdown` (signals) and the
 * NestJS module (Nest's `beforeApplicationShutdown`): NOT_SERVING everywhere,
 * keep serving for `drainMs` so clients move away, then stop the grpc-js server,
 * ending Watch streams so `tryShutdown` can finish, forced past `timeoutMs`.
 */
import type { DependencyChecks } from './checks/dependency-checks.js';
import { HealthArgumentError } from './errors.js';
import type { HealthServer } from './server/health-server.js';

/**
 * What the drain stops: a grpc-js `Server` as it is, or any server with the same
 * two methods (`stoppableNiceServer` adapts a nice-grpc server).
 */
export interface StoppableServer {
  /** Stops accepting calls; calls back once every open call has ended. */
  tryShutdown(callback: (error?: Error) => void): void;
  /** Stops now, cancelling open calls. */
  forceShutdown(): void;
}

/** Options of {@link drainAndStop}. */
export interface DrainOptions {
  /** How long to keep serving, NOT_SERVING, so clients move away. */
  drainMs: number;
  /** From the start, when to give up on a graceful stop and force it. */
  timeoutMs: number;
  /** Checks to stop first, so they no longer change statuses. */
  checks?: DependencyChecks | undefined;
  /** Where progress lines go. */
  log: (line: string) => void;
}

/** A drain under way. */
export interface Drain {
  /** Resolves when the server has stopped: true when gracefully, false when forced. */
  readonly stopped: Promise<boolean>;
  /** Forces the server down now. */
  force(): void;
}

/** Throws {@link HealthArgumentError} unless `value` is a finite number ≥ 0 (or undefined). */
export function checkDuration(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new HealthArgumentError(`${name} must be a non-negative number of milliseconds, got ${String(value)}`);
  }
}

/** Starts the drain of `server` now. `server` may be undefined (nothing to stop, only statuses). */
export function drainAndStop(server: StoppableServer | undefined, health: HealthServer, options: DrainOptions): Drain {
  const { drainMs, timeoutMs, log } = options;
  const started = Date.now();
  log(`shutting down: NOT_SERVING, draining for ${drainMs} ms`);
  options.checks?.stop();
  health.shutdown();
  let forced = false;
  let force = (): void => {};
  const stopped = new Promise<boolean>((resolve) => {
    const finish = (graceful: boolean): void => {
      clearTimeout(deadline);
      clearTimeout(drain);
      log(`server stopped ${graceful ? 'gracefully' : 'by force'} after ${Date.now() - started} ms`);
      resolve(graceful);
    };
    force = () => {
      if (forced) return;
      forced = true;
      log('forcing the server down');
      if (server) server.forceShutdown();
      else health.endWatches();
      finish(false);
    };
    const deadline = setTimeout(force, Math.max(0, timeoutMs));
    deadline.unref();
    const drain = setTimeout(() => {
      log('drained: stopping the server');
      if (!server) {
        health.endWatches();
        finish(true);
        return;
      }
      server.tryShutdown(() => {
        if (!forced) finish(true);
      });
      // Open Watch streams would hold tryShutdown until the timeout.
      health.endWatches();
    }, drainMs);
    drain.unref();
  });
  return { stopped, force: () => force() };
}
