/**
 * The drain-and-stop sequence shared by `gracefulShutdown` (signals) and the
 * NestJS module (Nest's `beforeApplicationShutdown`): NOT_SERVING everywhere,
 * keep serving for `drainMs` so clients move away, then stop the grpc-js server,
 * ending Watch streams so `tryShutdown` can finish, forced past `timeoutMs`.
 */
import type { DependencyChecks } from './checks/dependency-checks.js';
import { HealthArgumentError } from './errors.js';
import { errorText, shownValue } from './shown-value.js';
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

/** The longest delay setTimeout honours; a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Reads a duration option: a number of milliseconds in `[0, 2^31-1]`, or the
 * fallback when undefined. A string, `NaN` (what `Number("5s")` gives),
 * `Infinity` or a negative value throws {@link HealthArgumentError}.
 */
export function durationOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMER_MS)) {
    throw new HealthArgumentError(`${name} must be a number of milliseconds in [0, ${MAX_TIMER_MS}], got ${shownValue(value)}`);
  }
  return value;
}

/** Runs `step`; a throw is logged, never passed on (a shutdown step must not stop the shutdown). */
function guarded(log: (line: string) => void, what: string, step: () => void): boolean {
  try {
    step();
    return true;
  } catch (error) {
    log(`${what} failed: ${errorText(error)}`);
    return false;
  }
}

/** Starts the drain of `server` now. `server` may be undefined (nothing to stop, only statuses). */
export function drainAndStop(server: StoppableServer | undefined, health: HealthServer, options: DrainOptions): Drain {
  const { drainMs, timeoutMs, log } = options;
  const started = Date.now();
  log(`shutting down: NOT_SERVING, draining for ${drainMs} ms`);
  guarded(log, 'stopping the checks', () => options.checks?.stop());
  guarded(log, 'publishing NOT_SERVING', () => health.shutdown());
  let forced = false;
  let force = (): void => {};
  const stopped = new Promise<boolean>((resolve) => {
    let done = false;
    const finish = (graceful: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(drain);
      log(`server stopped ${graceful ? 'gracefully' : 'by force'} after ${Date.now() - started} ms`);
      resolve(graceful);
    };
    force = () => {
      if (forced) return;
      forced = true;
      log('forcing the server down');
      if (server) guarded(log, 'forceShutdown', () => server.forceShutdown());
      else guarded(log, 'ending Watch streams', () => health.endWatches());
      finish(false);
    };
    const deadline = setTimeout(force, Math.max(0, timeoutMs));
    deadline.unref();
    const drain = setTimeout(() => {
      log('drained: stopping the server');
      if (!server) {
        guarded(log, 'ending Watch streams', () => health.endWatches());
        finish(true);
        return;
      }
      const stopping = guarded(log, 'tryShutdown', () =>
        server.tryShutdown(() => {
          if (!forced) finish(true);
        }),
      );
      if (!stopping) {
        force();
        return;
      }
      // Open Watch streams would hold tryShutdown until the timeout.
      guarded(log, 'ending Watch streams', () => health.endWatches());
    }, drainMs);
    drain.unref();
  });
  return { stopped, force: () => force() };
}
