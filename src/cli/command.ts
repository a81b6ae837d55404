/** What a subcommand's module exports for `main` to parse its flags, print its usage and run it. */
import type { FlagSpec, FlagValues } from './flags.js';

/** A subcommand. */
export interface Command {
  /** One line: `grpc-health watch -addr host:port [flags]`. */
  usage: string;
  flags: Readonly<Record<string, FlagSpec>>;
  examples: readonly string[];
  /** Runs with the parsed flags; resolves to the exit code. `log` writes a line to stderr, `out` to stdout. */
  run(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number>;
}
