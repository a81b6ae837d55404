/**
 * `grpc-health`: check, watch, list and serve gRPC health, flag- and exit-code
 * compatible with grpc-health-probe (`grpc-health -addr=:5000` is a check).
 *
 * A command's module (and grpc-js) loads only when that command runs; `check`,
 * the default and what probes run, is part of this one (it loads no grpc-js). The
 * process ends explicitly once the command has answered: a socket or timer left
 * behind (by grpc-js or a server that never answers) cannot keep it alive.
 */
import type { Command } from './command.js';
import { EXIT } from './exit-codes.js';
import { FlagError, goUsage, HelpRequested, parseFlags, UsageError } from './flags.js';
import { checkCommand } from './check.js';
import { CliFailure } from './options.js';
import { lineWriter } from './output.js';

/**
 * The commands: a summary for `grpc-health help`, and the module that defines it
 * (exporting a {@link Command}), loaded when it runs. A new command is one line here.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  check: {
    summary: 'ask a server whether services are SERVING (grpc-health-probe compatible)',
    // In this chunk: check is what a probe runs, every few seconds (one file less to load).
    load: async () => checkCommand,
  },
  watch: {
    summary: 'print status changes as they happen; or wait for a status (-until)',
    load: async () => (await import('./watch.js')).watchCommand,
  },
  list: {
    summary: 'list every service a server knows and its status (the List RPC)',
    load: async () => (await import('./list.js')).listCommand,
  },
  dashboard: {
    summary: 'watch many backends and serve a live health page (also JSON and /metrics)',
    load: async () => (await import('./dashboard.js')).dashboardCommand,
  },
  serve: {
    summary: 'run a stand-alone health server (statuses from flags, stdin or SIGUSR1)',
    load: async () => (await import('./serve.js')).serveCommand,
  },
};

/** The package's version, from its package.json (found from the source, the build or the bundle). */
function version(): string {
  for (const up of ['../../', '../../../']) {
    try {
      const { readFileSync } = process.getBuiltinModule('node:fs');
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name: string; version: string };
      if (pkg.name === 'grpc-health-kit') return `grpc-health (grpc-health-kit) ${pkg.version}`;
    } catch {
      // not there: try the next level
    }
  }
  return 'grpc-health (grpc-health-kit) unknown version';
}

function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`);
  return [
    'grpc-health: gRPC health checking from the command line',
    '',
    'usage: grpc-health <command> [flags]        (no command: check, as grpc_health_probe)',
    '',
    ...rows,
    '',
    "'grpc-health <command> -help' shows a command's flags and examples.",
    'exit codes: 0 SERVING, 1 bad arguments, 2 connection failure, 3 RPC failure, 4 not SERVING',
  ].join('\n');
}

/** The usage Go's flag package prints (`Usage:` and the flags), with our command line and examples. */
function commandUsage(command: Command): string {
  return [`Usage: ${command.usage}`, goUsage(command.flags), 'Examples:', ...command.examples.map((e) => `  ${e}`)].join('\n');
}

const stderrLine = lineWriter(2);

/** Runs the CLI with `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const log = stderrLine;
  const out = lineWriter(1);
  const first = argv[0];
  if (first === 'help') {
    out(mainHelp());
    return EXIT.OK;
  }
  const named = first !== undefined && !first.startsWith('-');
  const name = named ? first : 'check';
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    log(`error: unknown command ${JSON.stringify(name)} (commands: ${Object.keys(COMMANDS).join(', ')}; see grpc-health help)`);
    return EXIT.INVALID_ARGUMENTS;
  }
  const command = await entry.load();
  try {
    const { values, rest } = parseFlags(named ? argv.slice(1) : argv, command.flags);
    if (values.version === true) {
      out(version());
      return EXIT.OK;
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    return await command.run(values, log, out);
  } catch (error) {
    if (error instanceof HelpRequested) {
      // As the probe (Go's flag package): usage on stderr, exit code 1.
      log(named ? commandUsage(command) : `${mainHelp()}\n\n${commandUsage(command)}`);
      return EXIT.INVALID_ARGUMENTS;
    }
    if (error instanceof FlagError) {
      log(`${error.message}\n${commandUsage(command)}`);
      return EXIT.INVALID_ARGUMENTS;
    }
    if (error instanceof UsageError) {
      log(`error: ${error.message}`);
      return EXIT.INVALID_ARGUMENTS;
    }
    if (error instanceof CliFailure) {
      log(error.message);
      return error.exitCode;
    }
    // Not ours to classify: one line, as an RPC-side failure.
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.RPC_FAILURE;
  }
}

// A failure in a callback we do not own: one line and the RPC-failure code, never a stack trace or a hang.
const lastResort = (error: unknown) => {
  stderrLine(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(EXIT.RPC_FAILURE);
};
process.on('uncaughtException', lastResort);
process.on('unhandledRejection', lastResort);
process.exit(await main(process.argv.slice(2)));
