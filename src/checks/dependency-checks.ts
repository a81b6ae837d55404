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
import type { HealthServer } from '../server/health-server.js';

/**
 * What a check function returns: nothing or `true` for healthy, `false` or
 * `{ healthy: false, detail }` for unhealthy. Throwing (or rejecting) is a failure
 * with the error's message; any other value is a failure too.
 */
export type CheckOutcome = void | boolean | { healthy: boolean; detail?: string };

/** A check: receives an AbortSignal that fires at its timeout. */
export type CheckFunction = (signal: AbortSignal) => CheckOutcome | Promise<CheckOutcome>;

/** How a check runs and what it affects. */
export interface CheckOptions {
  /** Services that need this check to be SERVING. Default: none (only `""` depends on it). */
  services?: string[];
  /** Time between the end of one run and the start of the next, ms. Default 5000. */
  intervalMs?: number;
  /** A run that takes longer fails, ms. Default 1000. */
  timeoutMs?: number;
  /** Random spread of the interval, as a fraction (0.1 = ±10 %). Default 0.1. */
  jitter?: number;
  /** Consecutive failures that make a healthy check unhealthy. Default 3. */
  failureThreshold?: number;
  /** Consecutive successes that make an unhealthy check healthy. Default 1. */
  successThreshold?: number;
}

/** The latest state of one check, as data for logs, metrics and the HTTP view. */
export interface CheckResult {
  name: string;
  /** `pending` until the thresholds first decide; then `healthy` or `unhealthy`. */
  state: 'pending' | 'healthy' | 'unhealthy';
  services: string[];
  /** Why the last run failed (kept until a success). */
  lastError?: string;
  lastRunAt?: Date;
  lastSuccessAt?: Date;
  /** Duration of the last run, ms. */
  latencyMs?: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

const DEFAULTS: Required<Omit<CheckOptions, 'services'>> = {
  intervalMs: 5000,
  timeoutMs: 1000,
  jitter: 0.1,
  failureThreshold: 3,
  successThreshold: 1,
};

interface Check {
  fn: CheckFunction;
  options: Required<CheckOptions>;
  result: CheckResult;
  running: Promise<void> | undefined;
  /** The check function's own promise while it has not settled (it may outlive its timeout). */
  inflight: Promise<unknown> | undefined;
  timer: NodeJS.Timeout | undefined;
}

function validate(name: string, options: Required<CheckOptions>): void {
  const positive = (key: keyof CheckOptions) => {
    const value = options[key] as number;
    if (!Number.isFinite(value) || value <= 0) throw new HealthArgumentError(`check "${name}": ${key} must be a positive number`);
  };
  positive('intervalMs');
  positive('timeoutMs');
  positive('failureThreshold');
  positive('successThreshold');
  if (!(options.jitter >= 0 && options.jitter < 1)) throw new HealthArgumentError(`check "${name}": jitter must be in [0, 1)`);
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Reads a check's outcome; `undefined` means healthy, a string is why not. */
function judge(outcome: unknown): string | undefined {
  if (outcome === undefined || outcome === true) return undefined;
  if (outcome === false) return 'check returned false';
  if (typeof outcome === 'object' && outcome !== null && typeof (outcome as { healthy?: unknown }).healthy === 'boolean') {
    const { healthy, detail } = outcome as { healthy: boolean; detail?: unknown };
    return healthy ? undefined : typeof detail === 'string' && detail !== '' ? detail : 'check reported unhealthy';
  }
  return `check returned an unexpected value: ${describe(outcome).slice(0, 200)}`;
}

/**
 * A set of named dependency checks feeding a {@link HealthServer}.
 *
 * ```ts
 * const checks = new DependencyChecks(health);
 * checks.add('postgres', () => pool.query('select 1').then(() => true), { services: ['orders.Orders'] });
 * checks.add('payments', grpcCheck('payments:50051', 'payments.Payments'), { services: ['orders.Orders'] });
 * checks.start();
 * ```
 */
export class DependencyChecks {
  private readonly checks = new Map<string, Check>();
  private readonly listeners = new Set<(result: CheckResult) => void>();
  private readonly published = new Map<string, 'SERVING' | 'NOT_SERVING'>();
  private started = false;

  constructor(
    private readonly health: HealthServer,
    private readonly defaults: CheckOptions = {},
  ) {}

  /**
   * Adds a check. Its services are NOT_SERVING until it passes.
   * @throws {@link HealthArgumentError} for a duplicate name or a bad option.
   */
  add(name: string, fn: CheckFunction, options: CheckOptions = {}): this {
    if (this.checks.has(name)) throw new HealthArgumentError(`a check named "${name}" exists already`);
    if (typeof fn !== 'function') throw new HealthArgumentError(`check "${name}" must be a function`);
    const merged: Required<CheckOptions> = { ...DEFAULTS, services: [], ...this.defaults, ...options };
    validate(name, merged);
    const check: Check = {
      fn,
      options: merged,
      result: { name, state: 'pending', services: [...merged.services], consecutiveFailures: 0, consecutiveSuccesses: 0 },
      running: undefined,
      inflight: undefined,
      timer: undefined,
    };
    this.checks.set(name, check);
    this.publish();
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

  /** Cancels every timer; runs in progress finish but change nothing more. */
  stop(): void {
    this.started = false;
    for (const check of this.checks.values()) {
      clearTimeout(check.timer);
      check.timer = undefined;
    }
  }

  /**
   * Runs one check (or all) now, outside the schedule, and resolves when done.
   * A check already running is awaited instead of started again.
   */
  async runNow(name?: string): Promise<void> {
    const targets = name === undefined ? [...this.checks.values()] : [this.checks.get(name)];
    if (targets.some((check) => check === undefined)) throw new HealthArgumentError(`no check named "${name}"`);
    await Promise.all(targets.map((check) => this.run(check!)));
  }

  /** The latest result of every check. */
  results(): CheckResult[] {
    return [...this.checks.values()].map((check) => ({ ...check.result, services: [...check.result.services] }));
  }

  /** Calls `listener` after every run. Returns a function that removes it. */
  onResult(listener: (result: CheckResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private schedule(check: Check, delayMs: number): void {
    clearTimeout(check.timer);
    check.timer = setTimeout(() => {
      check.timer = undefined;
      void this.run(check).finally(() => {
        if (!this.started) return;
        const { intervalMs, jitter } = check.options;
        this.schedule(check, intervalMs * (1 + jitter * (Math.random() * 2 - 1)));
      });
    }, delayMs);
    // A health check never keeps the process alive by itself.
    check.timer.unref();
  }

  private run(check: Check): Promise<void> {
    // Never two runs of one check at once.
    check.running ??= this.attempt(check).finally(() => {
      check.running = undefined;
    });
    return check.running;
  }

  private async attempt(check: Check): Promise<void> {
    if (check.inflight) {
      // The last run timed out and is still going: do not start a second one.
      this.record(check, 'the previous run has not finished (it timed out and ignored its AbortSignal)', 0);
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
      const call = Promise.resolve().then(() => check.fn(controller.signal));
      check.inflight = call;
      const settled = () => {
        if (check.inflight === call) check.inflight = undefined;
      };
      call.then(settled, settled);
      const outcome = await Promise.race([call, timeout]);
      failure = judge(outcome);
    } catch (error) {
      failure = error instanceof Error ? error.message || error.name : `check threw ${describe(error)}`;
    } finally {
      clearTimeout(timer);
    }
    this.record(check, failure, performance.now() - started);
  }

  private record(check: Check, failure: string | undefined, latencyMs: number): void {
    const result = check.result;
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
    this.publish();
    for (const listener of this.listeners) listener({ ...result, services: [...result.services] });
  }

  /** Publishes each service's aggregate status, where it changed. */
  private publish(): void {
    const statuses = new Map<string, 'SERVING' | 'NOT_SERVING'>();
    let all = true;
    for (const check of this.checks.values()) {
      const healthy = check.result.state === 'healthy';
      all &&= healthy;
      for (const service of check.options.services) {
        statuses.set(service, healthy && statuses.get(service) !== 'NOT_SERVING' ? 'SERVING' : 'NOT_SERVING');
      }
    }
    if (this.checks.size > 0) statuses.set('', all ? 'SERVING' : 'NOT_SERVING');
    for (const [service, status] of statuses) {
      if (this.published.get(service) === status) continue;
      this.published.set(service, status);
      this.health.setStatus(service, status);
    }
  }
}
