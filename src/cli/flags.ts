/**
 * Command-line flags the way Go's `flag` package reads them, so grpc-health-probe
 * lines work unchanged: `-flag value`, `-flag=value`, `--flag`, `--flag=value`;
 * booleans as `-flag` or `-flag=true|false`; `--` ends the flags. Durations are Go
 * durations (`1s`, `500ms`, `1m30s`). No dependency: this runs before anything
 * heavy is loaded, so `--help` and bad flags answer at once.
 */

/** A flag's kind: a string, a switch, a Go duration (read as ms), or a repeatable string. */
export type FlagKind = 'string' | 'bool' | 'duration' | 'list';

/** One flag. */
export interface FlagSpec {
  kind: FlagKind;
  /** One line for `--help`. */
  help: string;
  /** Shown in `--help`, e.g. `1s`. */
  defaultText?: string;
}

/** Parsed values: strings, booleans, milliseconds, or string lists. */
export type FlagValues = Record<string, string | boolean | number | string[] | undefined>;

/** A command-line mistake: printed as one line, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration (`300ms`, `1.5s`, `1m30s`, `0`) into milliseconds; `undefined` when it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (!match) return text === '0' || text === '+0' || text === '-0' ? 0 : undefined;
  let total = 0;
  for (const part of text.slice(match[1]!.length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNITS_MS[part[2]!]!;
  }
  return match[1] === '-' ? -total : total;
}

/** Prints milliseconds the way Go prints a duration, roughly: `1s`, `250ms`, `1m30s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (Math.abs(ms) < 1000) return `${Number(ms.toFixed(3))}ms`;
  const minutes = Math.trunc(ms / 60_000);
  const seconds = Number(((ms - minutes * 60_000) / 1000).toFixed(3));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * Parses `args` against `specs`. Returns the values (lists default to `[]`) and
 * the arguments after the flags.
 * @throws {@link UsageError} with Go's wording for unknown flags and bad values.
 */
export function parseFlags(args: readonly string[], specs: Readonly<Record<string, FlagSpec>>): { values: FlagValues; rest: string[] } {
  const values: FlagValues = {};
  for (const [name, spec] of Object.entries(specs)) if (spec.kind === 'list') values[name] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i += 1;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = specs[name];
    if (!spec || name === '') throw new UsageError(`flag provided but not defined: -${name}`);
    let text: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (spec.kind === 'bool') {
      if (text === undefined) values[name] = true;
      else if (TRUE.has(text)) values[name] = true;
      else if (FALSE.has(text)) values[name] = false;
      else throw new UsageError(`invalid boolean value ${JSON.stringify(text)} for -${name}: parse error`);
      continue;
    }
    if (text === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: -${name}`);
      text = args[++i]!;
    }
    if (spec.kind === 'duration') {
      const ms = parseDuration(text);
      if (ms === undefined) throw new UsageError(`invalid value ${JSON.stringify(text)} for flag -${name}: parse error`);
      values[name] = ms;
    } else if (spec.kind === 'list') {
      (values[name] as string[]).push(text);
    } else {
      values[name] = text;
    }
  }
  return { values, rest: args.slice(i) };
}

/** The flags part of a `--help` text. */
export function flagHelp(specs: Readonly<Record<string, FlagSpec>>): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const arg = spec.kind === 'bool' ? '' : spec.kind === 'duration' ? ' duration' : ' value';
    const text = `${spec.help}${spec.defaultText ? ` (default ${spec.defaultText})` : ''}${spec.kind === 'list' ? ' (repeatable)' : ''}`;
    return [`  -${name}${arg}`, text] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => left.padEnd(width) + right).join('\n');
}
