/**
 * Go's `time.Duration` as grpc-health-probe reads and prints it: the grammar and
 * range of `time.ParseDuration` (a signed int64 of nanoseconds, up to about
 * 2562047h) and the text of `Duration.String()` (`1.5s`, `1m30s`, `1h0m0s`, `1ns`).
 * Nanoseconds are bigints: an int64 does not fit in a double.
 */

const NS_PER: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5 micro sign
  μs: 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const INT64_MAX = (1n << 63n) - 1n;
const ELEMENT = /(\d*)(?:\.(\d*))?([^\d.]*)/y;

/** Parses a Go duration (`300ms`, `1.5s`, `-1m30s`, `0`) into nanoseconds; `undefined` when Go would refuse it. */
export function parseGoDuration(text: string): bigint | undefined {
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  ELEMENT.lastIndex = 0;
  while (ELEMENT.lastIndex < rest.length) {
    const match = ELEMENT.exec(rest);
    if (!match) return undefined;
    const [, whole = '', fraction, unitName = ''] = match;
    if (whole === '' && (fraction === undefined || fraction === '')) return undefined; // no digits
    const unit = NS_PER[unitName];
    if (unit === undefined) return undefined; // missing or unknown unit
    let value = BigInt(whole || '0');
    if (value > 1n << 63n) return undefined;
    if (value > (1n << 63n) / unit) return undefined;
    value *= unit;
    if (fraction) {
      // As Go: the fraction is scaled in floating point and truncated.
      const digits = fraction.slice(0, 19);
      value += BigInt(Math.trunc(Number(digits) * (Number(unit) / 10 ** digits.length)));
      if (value > 1n << 63n) return undefined;
    }
    total += value;
    if (total > 1n << 63n) return undefined;
  }
  if (negative) return -total;
  return total > INT64_MAX ? undefined : total;
}

/** Appends the fraction of `value` with `precision` digits, trailing zeros (and a lone point) dropped. */
function splitFraction(value: bigint, precision: number): [bigint, string] {
  const scale = 10n ** BigInt(precision);
  const fraction = (value % scale).toString().padStart(precision, '0').replace(/0+$/, '');
  return [value / scale, fraction === '' ? '' : `.${fraction}`];
}

/** Prints nanoseconds as Go's `Duration.String()` does. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  if (u < 1_000_000_000n) {
    const [unit, precision] = u < 1_000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : ['ms', 6];
    const [whole, fraction] = splitFraction(u, precision);
    return `${sign}${whole}${fraction}${unit}`;
  }
  const [seconds, fraction] = splitFraction(u, 9);
  let text = `${seconds % 60n}${fraction}s`;
  const minutes = seconds / 60n;
  if (minutes > 0n) {
    text = `${minutes % 60n}m${text}`;
    const hours = minutes / 60n;
    if (hours > 0n) text = `${hours}h${text}`;
  }
  return sign + text;
}

/** Nanoseconds as (fractional) milliseconds, for timers and deadlines. */
export function nsToMs(ns: bigint): number {
  return Number(ns) / 1e6;
}

/** Milliseconds as nanoseconds. */
export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}

/** setTimeout's longest delay (about 24.8 days); longer delays fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `onTimeout` after `ms` milliseconds, however long (chained timers beyond
 * setTimeout's limit). Returns the function that cancels it.
 */
export function setLongTimeout(onTimeout: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  const deadline = Date.now() + ms;
  const arm = () => {
    const left = deadline - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(onTimeout, Math.max(0, Math.ceil(left)));
  };
  arm();
  return () => clearTimeout(timer);
}
