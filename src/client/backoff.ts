/**
 * The reconnect backoff of the health client rules (gRFC A17, grpc-go
 * `internal/backoff`): attempt n waits min(initial × multiplier^n, max), spread by
 * ±jitter. Pure arithmetic: the caller owns the timer, so tests drive it with
 * fake timers and a fixed `Math.random`.
 */
import { HealthArgumentError } from '../errors.js';
import { checkOptions } from '../options.js';

/** Backoff between attempts that received no message. Defaults are grpc-go's and grpc-js's. */
export interface BackoffOptions {
  /** First delay, ms. Default 1000. */
  initialMs?: number;
  /** Growth per attempt, at least 1. Default 1.6. */
  multiplier?: number;
  /** Random spread, as a fraction of the delay, 0 to 1 (0.2 = ±20 %, 0 = none). Default 0.2. */
  jitter?: number;
  /** Largest delay before jitter, ms. Default 120000. */
  maxMs?: number;
}

/** grpc-go's and grpc-js's defaults: 1 s, ×1.6, ±20 %, 120 s. */
export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = Object.freeze({
  initialMs: 1000,
  multiplier: 1.6,
  jitter: 0.2,
  maxMs: 120_000,
});

/** setTimeout fires at once (with a warning) past this many ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const RULES: Record<keyof BackoffOptions, { ok: (value: number) => boolean; must: string }> = {
  initialMs: { ok: (v) => v > 0 && v <= MAX_TIMER_MS, must: `a number of ms above 0, at most ${MAX_TIMER_MS}` },
  multiplier: { ok: (v) => v >= 1, must: 'a finite number, at least 1' },
  jitter: { ok: (v) => v >= 0 && v <= 1, must: 'a fraction from 0 to 1' },
  maxMs: { ok: (v) => v > 0 && v <= MAX_TIMER_MS, must: `a number of ms above 0, at most ${MAX_TIMER_MS}` },
};

/**
 * Checks backoff settings as given (unset fields stay unset).
 * @param label names the option in messages, e.g. `backoff` or `health_check: backoff`.
 * @param unknownKeys `refuse` for options given in code (a misspelt `initalMs` throws);
 *   `ignore` for a service config's JSON, whose unknown fields gRPC ignores.
 * @throws {@link HealthArgumentError} when `raw` is not an object, a key is unknown
 *   (with `refuse`), or a field is not a finite number in its range (0, negative, NaN
 *   and Infinity are refused, not defaulted).
 */
export function checkBackoff(raw: unknown, label = 'backoff', unknownKeys: 'refuse' | 'ignore' = 'refuse'): BackoffOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HealthArgumentError(`${label} must be an object`);
  }
  if (unknownKeys === 'refuse') checkOptions(label, raw, Object.keys(RULES));
  const checked: BackoffOptions = {};
  for (const key of Object.keys(RULES) as (keyof BackoffOptions)[]) {
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const rule = RULES[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || !rule.ok(value)) {
      throw new HealthArgumentError(`${label}.${key} must be ${rule.must}, got ${String(value)}`);
    }
    checked[key] = value;
  }
  return checked;
}

/**
 * Delays of successive attempts. `next()` gives the delay before the next attempt,
 * `reset()` starts over from the initial delay (after an attempt that got a message).
 */
export class Backoff {
  private settings: Required<BackoffOptions>;
  private attempts = 0;

  /** @throws {@link HealthArgumentError} for settings {@link checkBackoff} refuses. */
  constructor(
    options: BackoffOptions = {},
    private readonly label = 'backoff',
  ) {
    this.settings = { ...DEFAULT_BACKOFF, ...checkBackoff(options, label) };
  }

  /**
   * Takes new settings (unset fields: the defaults) for the next delays; the attempt count is kept.
   * @throws {@link HealthArgumentError} for settings {@link checkBackoff} refuses; the old ones then stay.
   */
  configure(options: BackoffOptions = {}): void {
    this.settings = { ...DEFAULT_BACKOFF, ...checkBackoff(options, this.label) };
  }

  /** The delay before the next attempt, whole ms; counts the attempt. */
  next(): number {
    const { initialMs, multiplier, jitter, maxMs } = this.settings;
    const base = Math.min(initialMs * multiplier ** this.attempts, maxMs);
    this.attempts += 1;
    // Uniform in [base × (1 - jitter), base × (1 + jitter)), as grpc-go spreads it.
    const spread = 1 + jitter * (2 * Math.random() - 1);
    return Math.min(Math.round(base * spread), MAX_TIMER_MS);
  }

  /** Starts again from the initial delay. */
  reset(): void {
    this.attempts = 0;
  }
}
