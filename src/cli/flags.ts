/**
 * Command-line flags the way Go's `flag` package reads them, so grpc-health-probe
 * lines work unchanged: `-flag value`, `-flag=value`, `--flag`, `--flag=value`;
 * booleans as `-flag` or `-flag=true|false`; `--` or the first non-flag argument
 * ends the flags. Durations are Go durations (`1s`, `500ms`, `1m30s`), in
 * nanoseconds. Errors carry Go's wording; {@link goUsage} prints Go's usage text.
 * No dependency: this runs before anything heavy is loaded.
 */
import { formatGoDuration, parseGoDuration } from './duration.js';

/** A flag's kind: a string, a switch, a Go duration (bigint nanoseconds), or a repeatable string. */
export type FlagKind = 'string' | 'bool' | 'duration' | 'list';

/** One flag. */
export interface FlagSpec {
  kind: FlagKind;
  /** One line for the usage text. */
  help: string;
  /** The default, printed in the usage text as Go does (`1s`, or quoted for strings). */
  defaultValue?: string | bigint;
  /** Checks one value as it is read (Go's `flag.Value.Set`): an error message, or `undefined` when fine. */
  check?: (text: string) => string | undefined;
}

/** Parsed values: strings, booleans, nanoseconds, or string lists. */
export type FlagValues = Record<string, string | boolean | bigint | string[] | undefined>;

const USAGE_ERROR = Symbol.for('grpc-health-kit/cli/UsageError');

/**
 * A mistake in the arguments: `error: <message>`, exit code 1. Recognised by a brand,
 * not by class: the CLI bundle holds two copies of this module (the probe's file and
 * the grpc-js commands', scripts/bundle-cli.js), and `main` must know either's errors.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly [USAGE_ERROR] = true;
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && USAGE_ERROR in value;
  }
}

/** A flag the parser could not read (Go's `flag` error): printed bare, followed by the usage, exit code 1. */
export class FlagError extends Error {
  override name = 'FlagError';
}

/** `-h`, `-help` or `--help` was given: print the usage, exit code 1 (as Go's `flag` with ContinueOnError). */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * Parses `args` against `specs`. Returns the values (lists default to `[]`) and
 * the arguments after the flags.
 * @throws {@link FlagError} with Go's wording, {@link HelpRequested} for `-h`/`-help`.
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
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) throw new FlagError(`bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) {
      if (name === 'h' || name === 'help') throw new HelpRequested();
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
    let text: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (spec.kind === 'bool') {
      if (text === undefined || TRUE.has(text)) values[name] = true;
      else if (FALSE.has(text)) values[name] = false;
      else throw new FlagError(`invalid boolean value ${goQuote(text)} for -${name}: parse error`);
      continue;
    }
    if (text === undefined) {
      if (i + 1 >= args.length) throw new FlagError(`flag needs an argument: -${name}`);
      text = args[++i]!;
    }
    const problem = spec.check?.(text);
    if (problem !== undefined) throw new FlagError(`invalid value ${goQuote(text)} for flag -${name}: ${problem}`);
    if (spec.kind === 'duration') {
      const ns = parseGoDuration(text);
      if (ns === undefined) throw new FlagError(`invalid value ${goQuote(text)} for flag -${name}: parse error`);
      values[name] = ns;
    } else if (spec.kind === 'list') {
      (values[name] as string[]).push(text);
    } else {
      values[name] = text;
    }
  }
  return { values, rest: args.slice(i) };
}

/** A string quoted as Go's `%q` does for printable text (JSON's escapes, close enough for arguments). */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** The flags in Go's `PrintDefaults` layout: sorted, `  -name type` then a tab-indented line. */
export function goUsage(specs: Readonly<Record<string, FlagSpec>>): string {
  const lines: string[] = [];
  for (const name of Object.keys(specs).sort()) {
    const spec = specs[name]!;
    const type = spec.kind === 'bool' ? '' : spec.kind === 'duration' ? ' duration' : spec.kind === 'list' ? ' value' : ' string';
    let line = `  -${name}${type}`;
    line += line.length <= 4 ? '\t' : '\n    \t';
    line += spec.help;
    if (typeof spec.defaultValue === 'bigint') line += ` (default ${formatGoDuration(spec.defaultValue)})`;
    else if (spec.defaultValue !== undefined) line += ` (default ${goQuote(spec.defaultValue)})`;
    lines.push(line);
  }
  return lines.join('\n');
}
