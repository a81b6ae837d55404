/**
 * The one check every public options object goes through: it is an object, and
 * every key in it is one the function knows. A misspelt option (`status` for
 * `statuses`) would otherwise be ignored in silence.
 */
import { HealthArgumentError } from './errors.js';
import { shownValue } from './shown-value.js';

/**
 * The option names of `T`, spelled once as `{ name: true, ... }`: the compiler
 * fails when the list misses a key of `T` or names one `T` does not have.
 */
export function optionNames<T>(names: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(names);
}

/** Edit distance of two short strings (for "did you mean"). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function suggestion(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const close = known.find((name) => name.toLowerCase() === lower) ?? known.find((name) => distance(lower, name.toLowerCase()) <= 2);
  return close === undefined ? '' : ` (did you mean "${close}"?)`;
}

/**
 * Checks an options object: `undefined` reads as `{}`; anything but a plain object,
 * or a key that is neither in `known` nor accepted by `alsoAccepted` (e.g. grpc-js
 * channel options, `grpc.*`), throws.
 *
 * @param what names the options in the message, e.g. `HealthServer options`.
 * @throws {@link HealthArgumentError} naming the unknown key and the known ones.
 */
export function checkOptions(
  what: string,
  options: unknown,
  known: readonly string[],
  alsoAccepted?: { test(key: string): boolean; describe: string },
): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new HealthArgumentError(`${what} must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key) || alsoAccepted?.test(key)) continue;
    const shown = key.length > 60 ? `${key.slice(0, 60)}…` : key;
    const also = alsoAccepted ? `, or ${alsoAccepted.describe}` : '';
    throw new HealthArgumentError(
      `${what}: unknown option ${JSON.stringify(shown)}${suggestion(key, known)}; known: ${known.join(', ')}${also}`,
    );
  }
  return options as Record<string, unknown>;
}

/** grpc-js channel options (`grpc.keepalive_time_ms`, `grpc-node.flow_control_window`, ...), accepted by name prefix. */
export const GRPC_CHANNEL_OPTIONS = {
  test: (key: string): boolean => key.startsWith('grpc.') || key.startsWith('grpc-node.'),
  describe: 'a grpc-js channel option ("grpc.*", "grpc-node.*")',
};

/** Options of the `HealthClient` constructor besides channel options: grpc-js's `ClientOptions` and `timeoutMs`. */
export const HEALTH_CLIENT_OPTION_NAMES: readonly string[] = [
  'timeoutMs',
  'channelOverride',
  'channelFactoryOverride',
  'interceptors',
  'interceptor_providers',
  'callInvocationTransformer',
];

/** Options of `HealthClient` calls: `check`/`list` (`deadline`), `watch`, `watchHealth` (`backoff`). */
export const HEALTH_CALL_OPTION_NAMES: readonly string[] = ['metadata', 'signal', 'deadline', 'backoff'];

/**
 * Reads a TCP port: an integer in [0, 65535] (0: any free port). A string is
 * refused, digits or not: Node's `listen` would take `"8080x"` for the path of a
 * Unix socket.
 * @throws {@link HealthArgumentError} for anything else.
 */
export function portOption(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65_535) {
    const hint = typeof value === 'string' ? ' (a number: convert a string with Number())' : '';
    throw new HealthArgumentError(`${what} must be an integer port in [0, 65535]${hint}, got ${shownValue(value)}`);
  }
  return value;
}
