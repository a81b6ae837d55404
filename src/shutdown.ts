/**
 * Graceful shutdown in one call: on SIGTERM, publish NOT_SERVING everywhere (load
 * balancers and client-side health checking move traffic away), wait `drainMs`,
 * then stop the server, ending every Watch stream so `tryShutdown` can finish, and
 * force it at `timeoutMs`. In-flight RPCs complete. `timeoutMs` bounds everything,
 * `onStopped` included; a second signal forces and ends the process.
 */
import type { DependencyChecks } from './checks/dependency-checks.js';
import { durationOption, drainAndStop, type StoppableServer } from './drain.js';
import { checkOptions, optionNames } from './options.js';
import { errorText } from './shown-value.js';
import { HealthArgumentError } from './errors.js';
import type { HealthServer } from './server/health-server.js';

/**
 * Options of {@link gracefulShutdown}. Durations are numbers of milliseconds,
 * finite, with `0 <= drainMs <= timeoutMs <= 2^31-1` and `timeoutMs > 0`; a string,
 * `NaN` (what `Number("5s")` gives), `Infinity` or a negative value throws a
 * {@link HealthArgumentError} when `gracefulShutdown` is called.
 */
export interface GracefulShutdownOptions {
  /** Signals that start the shutdown. Default `['SIGTERM', 'SIGINT']`. */
  signals?: NodeJS.Signals[];
  /** How long to keep serving, NOT_SERVING, so clients move away. Default 5000 ms. */
  drainMs?: number;
  /**
   * From the signal, the bound on the whole shutdown: the server is forced down
   * then if it has not stopped, and `onStopped` is not waited for past it.
   * Default 30000 ms.
   */
  timeoutMs?: number;
  /** Checks to stop first, so they no longer change statuses. */
  checks?: DependencyChecks;
  /**
   * Runs after the server has stopped (close pools, flush logs), with what remains
   * of `timeoutMs`. If the server had to be forced at `timeoutMs`, it is still called,
   * but not waited for. Throwing or rejecting counts as an unclean stop (exit code 1).
   */
  onStopped?: () => void | Promise<void>;
  /**
   * Ends the process when done: exit code 0, or 1 when the stop had to be forced
   * or `onStopped` failed or overran. Default true. With `false`, the signal handlers
   * are removed when done, so a later signal has its default effect again.
   */
  exit?: boolean;
  /** Where progress lines go. Default: nowhere. */
  log?: (line: string) => void;
}

/** Control of an installed graceful shutdown. */
export interface GracefulShutdown {
  /**
   * Starts the shutdown now, as a signal would; resolves when done: `true` when the
   * server stopped gracefully and `onStopped` completed, else `false`. Never rejects.
   */
  shutdown(): Promise<boolean>;
  /** Removes the signal handlers. */
  dispose(): void;
}

function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new HealthArgumentError(`${name} must be a function`);
}

const OPTION_NAMES = optionNames<GracefulShutdownOptions>({
  signals: true,
  drainMs: true,
  timeoutMs: true,
  checks: true,
  onStopped: true,
  exit: true,
  log: true,
});

function validate(options: unknown) {
  if (typeof options !== 'object' || options === null) throw new HealthArgumentError('gracefulShutdown options must be an object');
  checkOptions('gracefulShutdown options', options, OPTION_NAMES);
  const o = options as GracefulShutdownOptions;
  const drainMs = durationOption('drainMs', o.drainMs, 5000);
  const timeoutMs = durationOption('timeoutMs', o.timeoutMs, 30_000);
  if (timeoutMs === 0) throw new HealthArgumentError('timeoutMs must be more than 0');
  if (drainMs > timeoutMs)
    throw new HealthArgumentError(
      `drainMs (${drainMs}) must not exceed timeoutMs (${timeoutMs}): the stop would be forced before the drain ends`,
    );
  const signals = o.signals ?? ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(signals) || !signals.every((signal) => typeof signal === 'string' && /^SIG[A-Z0-9]+$/.test(signal))) {
    throw new HealthArgumentError('signals must be an array of signal names such as "SIGTERM"');
  }
  const exit = o.exit ?? true;
  if (typeof exit !== 'boolean') throw new HealthArgumentError('exit must be a boolean');
  optionalFunction('onStopped', o.onStopped);
  optionalFunction('log', o.log);
  if (o.checks !== undefined && typeof (o.checks as { stop?: unknown } | null)?.stop !== 'function') {
    throw new HealthArgumentError('checks must be a DependencyChecks');
  }
  return { drainMs, timeoutMs, signals: [...new Set(signals)], exit };
}

/**
 * Installs signal handlers that drain and stop `server`: a grpc-js `Server`, or
 * any {@link StoppableServer} (`stoppableNiceServer(server)` for nice-grpc).
 *
 * ```ts
 * gracefulShutdown(server, health, { drainMs: 5000, timeoutMs: 20000 });
 * ```
 * @throws {@link HealthArgumentError} for a bad option (see {@link GracefulShutdownOptions}).
 */
export function gracefulShutdown(server: StoppableServer, health: HealthServer, options: GracefulShutdownOptions = {}): GracefulShutdown {
  const { drainMs, timeoutMs, signals, exit } = validate(options);
  if (typeof server?.tryShutdown !== 'function' || typeof server.forceShutdown !== 'function') {
    throw new HealthArgumentError('gracefulShutdown needs a grpc-js Server (or a StoppableServer)');
  }
  if (typeof health?.shutdown !== 'function') throw new HealthArgumentError('gracefulShutdown needs a HealthServer');
  const log = (line: string): void => {
    try {
      // A logger that returns a promise (typed void, so it may) could reject.
      const returned: unknown = options.log?.(line);
      if (returned instanceof Promise) returned.catch(() => {});
    } catch {
      // a broken logger must not break the shutdown
    }
  };
  let stopping: Promise<boolean> | undefined;
  let forceAndFinish: (() => void) | undefined;

  const run = (): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const started = Date.now();
      let finished = false;
      let stopped = false;
      const finish = (clean: boolean): void => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        removeHandlers();
        log(`shutdown ${clean ? 'complete' : 'not clean'} after ${Date.now() - started} ms`);
        if (exit) process.exit(clean ? 0 : 1);
        resolve(clean);
      };
      const drain = drainAndStop(server, health, { drainMs, timeoutMs, checks: options.checks, log });
      forceAndFinish = () => {
        drain.force();
        finish(false);
      };
      // Referenced: while shutting down, the process lives until this bound at most,
      // and it bounds onStopped too.
      const deadline = setTimeout(() => {
        if (stopped) log(`onStopped had not finished ${timeoutMs} ms after the signal`);
        forceAndFinish?.();
      }, timeoutMs);
      void drain.stopped.then(async (graceful) => {
        stopped = true;
        try {
          await options.onStopped?.();
          finish(graceful);
        } catch (error) {
          log(`onStopped failed: ${errorText(error)}`);
          finish(false);
        }
      });
    });

  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopping) {
      log(`${signal} received`);
      stopping = run();
      return;
    }
    log(`${signal} again: forcing`);
    forceAndFinish?.();
    // With exit: false nothing above ends the process: unless the application
    // listens for the signal itself, let it have its default effect.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const handlers = signals.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const removeHandlers = (): void => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };

  return {
    shutdown: () => (stopping ??= run()),
    dispose: removeHandlers,
  };
}
