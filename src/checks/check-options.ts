/**
 * Options of one dependency check: their defaults and their validation, done
 * before anything is registered.
 */
import { HealthArgumentError } from '../errors.js';
import { checkOptions, optionNames } from '../options.js';
import { shownValue } from '../shown-value.js';

/** How a check runs and what it affects. */
export interface CheckOptions {
  /**
   * Services that need this check to be SERVING: an array of names. Default: none
   * (only `""` depends on it, as on every check). A string is refused, not split.
   */
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

const CHECK_OPTION_NAMES = optionNames<CheckOptions>({
  services: true,
  intervalMs: true,
  timeoutMs: true,
  jitter: true,
  failureThreshold: true,
  successThreshold: true,
});

/** Options with every default applied and checked. */
export type ResolvedCheckOptions = Required<CheckOptions>;

const DEFAULTS: Omit<ResolvedCheckOptions, 'services'> = {
  intervalMs: 5000,
  timeoutMs: 1000,
  jitter: 0.1,
  failureThreshold: 3,
  successThreshold: 1,
};

/** The longest delay setTimeout honours; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Longest check name accepted. */
export const MAX_CHECK_NAME_LENGTH = 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and checks a check name. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name.length > MAX_CHECK_NAME_LENGTH) {
    throw new HealthArgumentError(`a check name must be a string of 1 to ${MAX_CHECK_NAME_LENGTH} characters`);
  }
  return name;
}

/**
 * Merges `options` over `defaults` over the built-in defaults and checks every
 * value: milliseconds in (0, 2^31-1], thresholds positive integers, jitter in
 * [0, 1), services an array of strings (duplicates and `""` dropped: `""`
 * depends on every check anyway).
 * @throws {@link HealthArgumentError} naming the option and the check.
 */
export function resolveCheckOptions(what: string, options: unknown, defaults: CheckOptions = {}): ResolvedCheckOptions {
  if (options === undefined) options = {};
  if (!isRecord(options)) throw new HealthArgumentError(`${what}: options must be an object`);
  checkOptions(`${what} options`, options, CHECK_OPTION_NAMES);
  const pick = <K extends keyof CheckOptions>(key: K): unknown => options[key] ?? defaults[key];
  const milliseconds = (key: 'intervalMs' | 'timeoutMs'): number => {
    const value = pick(key) ?? DEFAULTS[key];
    if (typeof value !== 'number' || !(value > 0 && value <= MAX_TIMER_MS)) {
      throw new HealthArgumentError(`${what}: ${key} must be a number of milliseconds in (0, ${MAX_TIMER_MS}], got ${shownValue(value)}`);
    }
    return value;
  };
  const threshold = (key: 'failureThreshold' | 'successThreshold'): number => {
    const value = pick(key) ?? DEFAULTS[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new HealthArgumentError(`${what}: ${key} must be a positive integer, got ${shownValue(value)}`);
    }
    return value;
  };
  const jitter = pick('jitter') ?? DEFAULTS.jitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter < 1)) {
    throw new HealthArgumentError(`${what}: jitter must be a number in [0, 1), got ${shownValue(jitter)}`);
  }
  const services = pick('services') ?? [];
  if (!Array.isArray(services) || !services.every((service) => typeof service === 'string')) {
    throw new HealthArgumentError(
      `${what}: services must be an array of service names${typeof services === 'string' ? ' (wrap one name in [ ])' : ''}`,
    );
  }
  return {
    services: [...new Set(services as string[])].filter((service) => service !== ''),
    intervalMs: milliseconds('intervalMs'),
    timeoutMs: milliseconds('timeoutMs'),
    jitter,
    failureThreshold: threshold('failureThreshold'),
    successThreshold: threshold('successThreshold'),
  };
}
