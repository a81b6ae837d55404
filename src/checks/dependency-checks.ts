/**
 * Dependency checks: a service's status derived from checks of what it needs.
 *
 * Each check runs on its own timer (interval ± jitter, never overlapping itself,
 * bounded by a timeout) and turns unhealthy after `failureThreshold` consecutive
 * failures, healthy again after `successThreshold` consecutive successes. A service
 * is SERVING only while all of its checks are healthy; `""` only while every check
 * is. Statuses are published to the {@link HealthServer} only when they change,
 * so watchers see no flapping inside the thresholds.
 */
import { HealthArgumentError } from '../errors.js';
import { shownValue } from '../shown-value.js';
import { HealthServer } from '../server/health-server.js';
import { type CheckOptions, checkName, type ResolvedCheckOptions, resolveCheckOptions } from './check-options.js';
import { capText, describeValue, thrownText } from './failure-text.js';

export type { CheckOptions } from './check-options.js';

/**
 * What a check function returns: nothing or `true` for healthy, `false` or
 * `{ healthy: false, detail }` for unhealthy. Throwing (or rejecting) is a failure
 * with the error's message; any other value is a failure too.
 */
export type CheckOutcome = void | boolean | { healthy: boolean; detail?: string };

/**
 * A check: receives an AbortSignal that fires at its timeout. It may carry a
 * `dispose()` that releases what it holds (timers, clients);
 * {@link DependencyChecks.stop} calls it. A disposed check must still work if it
 * runs again (acquiring anew), since `start()` may follow `stop()`.
 */
export type CheckFunction = ((signal: AbortSignal) => CheckOutcome | Promise<CheckOutcome>) & {
  dispose?: () => void | Promise<void>;
};

/** The latest state of one check, as data for logs, metrics and the HTTP view. */
export interface CheckResult {
  name: string;
  /** `pending` until the thresholds first decide; then `healthy` or `unhealthy`. */
  state: 'pending' | 'healthy' | 'unhealthy';
  services: string[];
  /** Why the last run failed (kept until a success), cut to 1024 characters. */
  lastError?: string;
  lastRunAt?: Date;
  lastSuccessAt?: Date;
  /** Duration of the last run, ms. */
  latencyMs?: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

interface Check {
  fn: CheckFunction;
  options: ResolvedCheckOptions;
  result: CheckResult;
  /** The run in progress, and the epoch it belongs to (a run begun before stop() is not reused). */
  running: { epoch: number; done: Promise<void> } | undefined;
  /** The check function's own promise while it has not settled (it may outlive its timeout). */
  inflight: { epoch: number; call: Promise<unknown>; controller: AbortController } | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** How many checks feed a service, and how many of those are not healthy. */
interface ServiceTally {
  checks: number;
  unhealthy: number;
}

/** Reads a check's outcome; `undefined` means healthy, a string is why not. Throws for a hostile object. */
function judge(outcome: unknown): string | undefined {
  if (outcome === undefined || outcome === true) return undefined;
  if (outcome === false) return 'check returned false';
  if (typeof outcome === 'object' && outcome !== null && typeof (outcome as { healthy?: unknown }).healthy === 'boolean') {
    const { healthy, detail } = outcome as { healthy: boolean; detail?: unknown };
    return healthy ? undefined : typeof detail === 'string' && detail !== '' ? capText(detail) : 'check reported unhealthy';
  }
  return `check returned an unexpected value: ${describeValue(outcome).slice(0, 200)}`;
}

const healthy = (check: Check) => check.result.state === 'healthy';

const noop = (): void => {};

/**
 * A set of named dependency checks feeding a {@link HealthServer}.
 *
 * ```ts
 * const checks = new DependencyChecks(health);
 * checks.add('postgres', () => pool.query('select 1').then(() => true), { services: ['orders.Orders'] });
 * checks.add('payments', grpcCheck('payments:50051', 'payments.Payments'), { services: ['orders.Orders'] });
 * checks.start();
 * ```
 *
 * Listeners ({@link onResult}) are isolated: one that throws is reported once
 * (a process warning) and the others still run.
 */
export class DependencyChecks {
  private readonly checks = new Map<string, Check>();
  private readonly listeners = new Set<(result: CheckResult) => void>();
  /** Per service fed by some check; `""` is kept apart in {@link all}. */
  private readonly tallies = new Map<string, ServiceTally>();
  private readonly all: ServiceTally = { checks: 0, unhealthy: 0 };
  private readonly published = new Map<string, 'SERVING' | 'NOT_SERVING'>();
  private readonly defaults: CheckOptions;
  private started = false;
  /** Bumped by stop(): runs begun before it publish nothing. */
  private epoch = 0;
  private listenerFailureReported = false;

  /**
   * @param defaults options every check gets unless its own say otherwise
   * @throws {@link HealthArgumentError} when `health` is not a HealthServer or a default is bad.
   */
  constructor(
    private readonly health: HealthServer,
    defaults: CheckOptions = {},
  ) {
    if (!(health instanceof HealthServer)) throw new HealthArgumentError('DependencyChecks needs a HealthServer');
    resolveCheckOptions('check defaults', defaults);
    this.defaults = { ...defaults };
  }

  /**
   * Adds a check. Its services are NOT_SERVING until it passes. Nothing is
   * registered when it throws.
   * @throws {@link HealthArgumentError} for a duplicate or bad name, a bad option,
   * or a service name the {@link HealthServer} refuses.
   */
  add(name: string, fn: CheckFunction, options: CheckOptions = {}): this {
    checkName(name);
    if (this.checks.has(name)) throw new HealthArgumentError(`a check named "${name}" exists already`);
    if (typeof fn !== 'function') throw new HealthArgumentError(`check "${name}" must be a function`);
    const resolved = resolveCheckOptions(`check "${name}"`, options, this.defaults);
    // A new check is pending, so its services and "" are NOT_SERVING from now on.
    // Publishing that first lets the HealthServer refuse a name before anything is registered.
    this.publishAll(['', ...resolved.services], 'NOT_SERVING');
    const check: Check = {
      fn,
      options: resolved,
      result: { name, state: 'pending', services: [...resolved.services], consecutiveFailures: 0, consecutiveSuccesses: 0 },
      running: undefined,
      inflight: undefined,
      timer: undefined,
    };
    this.checks.set(name, check);
    this.tally(check, +1);
    if (this.started) this.schedule(check, 0);
    return this;
  }

  /** Runs every check now and then on its interval. Calling it again does nothing. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    for (const check of this.checks.values()) this.schedule(check, 0);
    return this;
  }

  /**
   * Cancels every timer and disposes of every check (their timers and clients);
   * runs in progress are aborted (their AbortSignal fires) and change nothing: no
   * status, no listener call. `start()` or `runNow()` may follow, and run the
   * checks anew.
   */
  stop(): void {
    this.started = false;
    this.epoch += 1;
    for (const check of this.checks.values()) {
      clearTimeout(check.timer);
      check.timer = undefined;
      check.inflight?.controller.abort(new Error('dependency checks stopped'));
      this.dispose(check);
    }
  }

  /**
   * Runs one check (or all) now, outside the schedule, and resolves when done.
   * A check already running is awaited instead of started again (unless that run
   * was begun before {@link stop}: then it runs anew, once the old run has ended).
   */
  async runNow(name?: string): Promise<void> {
    const targets = name === undefined ? [...this.checks.values()] : [this.checks.get(name)];
    if (targets.some((check) => check === undefined)) throw new HealthArgumentError(`no check named ${shownValue(name)}`);
    await Promise.all(targets.map((check) => this.run(check!)));
  }

  /** The latest result of every check. */
  results(): CheckResult[] {
    return [...this.checks.values()].map((check) => ({ ...check.result, services: [...check.result.services] }));
  }

  /** Calls `listener` after every run. Returns a function that removes it. */
  onResult(listener: (result: CheckResult) => void): () => void {
    if (typeof listener !== 'function') throw new HealthArgumentError('onResult needs a function');
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private schedule(check: Check, delayMs: number): void {
    clearTimeout(check.timer);
    check.timer = setTimeout(() => {
      check.timer = undefined;
      const epoch = this.epoch;
      void this.run(check).finally(() => {
        // After stop() (and perhaps start() again), the new schedule is not this one's.
        if (!this.started || epoch !== this.epoch || !this.checks.has(check.result.name)) return;
        const { intervalMs, jitter } = check.options;
        this.schedule(check, intervalMs * (1 + jitter * (Math.random() * 2 - 1)));
      });
    }, delayMs);
    // A health check never keeps the process alive by itself.
    check.timer.unref();
  }

  /** Never rejects. */
  private run(check: Check): Promise<void> {
    const epoch = this.epoch;
    // Never two runs of one check at once; a run begun before stop() is not this one.
    if (check.running?.epoch !== epoch) {
      const running = {
        epoch,
        done: this.attempt(check, epoch).finally(() => {
          if (check.running === running) check.running = undefined;
        }),
      };
      check.running = running;
    }
    return check.running.done;
  }

  private async attempt(check: Check, epoch: number): Promise<void> {
    const previous = check.inflight;
    if (previous?.epoch === epoch) {
      // The last run timed out and is still going: do not start a second one.
      this.record(check, epoch, 'the previous run has not finished (it timed out and ignored its AbortSignal)', 0);
      return;
    }
    const { timeoutMs } = check.options;
    const controller = new AbortController();
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let failure: string | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort(new Error(`timed out after ${timeoutMs} ms`));
          reject(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        // Kept referenced: a run in progress (at most timeoutMs) finishes before the process may exit.
      });
      // A run begun before stop() was aborted: this one starts when it has ended
      // (never two at once), within this run's timeout.
      const ended = previous ? previous.call.then(noop, noop) : Promise.resolve();
      // If this run gave up (timed out) before the old one ended, the check is not called late.
      const call = ended.then(() => (controller.signal.aborted ? Promise.reject(controller.signal.reason) : check.fn(controller.signal)));
      const inflight = { epoch, call, controller };
      check.inflight = inflight;
      const settled = () => {
        if (check.inflight === inflight) check.inflight = undefined;
      };
      call.then(settled, settled);
      failure = judge(await Promise.race([call, timeout]));
    } catch (error) {
      failure = thrownText(error);
    } finally {
      clearTimeout(timer);
    }
    this.record(check, epoch, failure, performance.now() - started);
  }

  private record(check: Check, epoch: number, failure: string | undefined, latencyMs: number): void {
    if (epoch !== this.epoch) return; // begun before stop()
    const result = check.result;
    const wasHealthy = healthy(check);
    const now = new Date();
    result.lastRunAt = now;
    result.latencyMs = latencyMs;
    if (failure === undefined) {
      result.consecutiveSuccesses += 1;
      result.consecutiveFailures = 0;
      result.lastSuccessAt = now;
      result.lastError = undefined;
      if (result.state !== 'healthy' && result.consecutiveSuccesses >= check.options.successThreshold) result.state = 'healthy';
    } else {
      result.consecutiveFailures += 1;
      result.consecutiveSuccesses = 0;
      result.lastError = failure;
      // Until the first verdict, one failure is enough: nothing has passed yet.
      if (result.state === 'pending' || (result.state === 'healthy' && result.consecutiveFailures >= check.options.failureThreshold)) {
        result.state = 'unhealthy';
      }
    }
    if (healthy(check) !== wasHealthy) {
      this.tally(check, -1, wasHealthy);
      this.tally(check, +1);
    }
    this.notify({ ...result, services: [...result.services] });
  }

  /**
   * Adds (+1) or removes (-1) `check` from the tallies of its services and `""`,
   * then publishes those whose status changed: the work is in the check's services, not in all checks.
   */
  private tally(check: Check, sign: 1 | -1, wasHealthy = healthy(check)): void {
    const unhealthy = wasHealthy ? 0 : sign;
    this.all.checks += sign;
    this.all.unhealthy += unhealthy;
    for (const service of check.options.services) {
      let tally = this.tallies.get(service);
      if (!tally) this.tallies.set(service, (tally = { checks: 0, unhealthy: 0 }));
      tally.checks += sign;
      tally.unhealthy += unhealthy;
    }
    if (sign === -1) return; // the +1 that follows publishes
    this.publishTally('', this.all);
    for (const service of check.options.services) this.publishTally(service, this.tallies.get(service)!);
  }

  private publishTally(service: string, tally: ServiceTally): void {
    if (tally.checks === 0) return;
    this.publishAll([service], tally.unhealthy === 0 ? 'SERVING' : 'NOT_SERVING');
  }

  /**
   * Publishes `status` for each service where it differs from what was published.
   * All or nothing: when the HealthServer refuses one, the others are put back.
   */
  private publishAll(services: string[], status: 'SERVING' | 'NOT_SERVING'): void {
    const done: [string, 'SERVING' | 'NOT_SERVING' | undefined, ReturnType<HealthServer['getStatus']>][] = [];
    try {
      for (const service of services) {
        const before = this.published.get(service);
        if (before === status) continue;
        const previous = this.health.getStatus(service);
        this.health.setStatus(service, status);
        this.published.set(service, status);
        done.push([service, before, previous]);
      }
    } catch (error) {
      for (const [service, before, previous] of done.reverse()) {
        if (before === undefined) this.published.delete(service);
        else this.published.set(service, before);
        if (previous === undefined) this.health.clearStatus(service);
        else this.health.setStatus(service, previous);
      }
      throw error;
    }
  }

  private notify(result: CheckResult): void {
    for (const listener of this.listeners) {
      try {
        listener({ ...result, services: [...result.services] });
      } catch (error) {
        if (this.listenerFailureReported) continue;
        this.listenerFailureReported = true;
        process.emitWarning(`a DependencyChecks onResult listener threw (reported once): ${thrownText(error)}`, {
          code: 'GRPC_HEALTH_KIT_LISTENER_ERROR',
        });
      }
    }
  }

  private dispose(check: Check): void {
    try {
      const disposing = check.fn.dispose?.();
      if (disposing && typeof (disposing as Promise<void>).then === 'function') (disposing as Promise<void>).then(undefined, () => {});
    } catch {
      // a dispose step that throws has released what it could
    }
  }
}
