#!/usr/bin/env node
/**
 * `grpc-health`: check, watch, list and serve gRPC health, flag- and exit-code
 * compatible with grpc-health-probe (`grpc-health -addr=:5000` is a check).
 *
 * Only the flag parser loads up front; a subcommand's module (and grpc-js) loads
 * when it runs, so `--help` and bad flags answer at once and a check starts fast.
 */
import { readFileSync } from 'node:fs';
import { CliFailure, CONNECTION_FLAGS } from './options.js';
import { EXIT } from './exit-codes.js';
import { type FlagSpec, type FlagValues, flagHelp, parseFlags, UsageError } from './flags.js';

type Runner = (values: FlagValues, log: (line: string) => void, out: (line: string) => void) => Promise<number>;

interface Command {
  summary: string;
  usage: string;
  flags: Record<string, FlagSpec>;
  examples: string[];
  load: () => Promise<Runner>;
}

const HELP_FLAG = { help: { kind: 'bool', help: 'show this help' } } as const satisfies Record<string, FlagSpec>;

const COMMANDS: Record<string, Command> = {
  check: {
    summary: 'ask a server whether services are SERVING (grpc-health-probe compatible)',
    usage: 'grpc-health check -addr host:port [-service name]... [flags]',
    flags: { ...CONNECTION_FLAGS, version: { kind: 'bool', help: 'print the version and exit' }, ...HELP_FLAG },
    examples: [
      'grpc-health check -addr=localhost:50051',
      'grpc-health -addr=:5000 -service=echo.Echo            # grpc_health_probe lines work as they are',
      'grpc-health check -addr api:443 -tls -tls-ca-cert ca.pem -service a -service b --json',
      'grpc-health check -addr unix:///run/app.sock -rpc-header "authorization: Bearer x"',
    ],
    load: async () => (await import('./check.js')).runCheck,
  },
  watch: {
    summary: 'print status changes as they happen; or wait for a status (-until)',
    usage: 'grpc-health watch -addr host:port [-service name] [-until STATUS [-timeout 30s]] [flags]',
    flags: {
      ...CONNECTION_FLAGS,
      until: { kind: 'string', help: 'exit 0 as soon as the service reports this status (e.g. SERVING)' },
      timeout: { kind: 'duration', help: '(with -until) give up after this long, with the check exit codes' },
      ...HELP_FLAG,
    },
    examples: [
      'grpc-health watch -addr localhost:50051 -service echo.Echo',
      'grpc-health watch -addr db:50051 -until SERVING -timeout 60s && ./start-app   # wait until ready',
    ],
    load: async () => (await import('./watch.js')).runWatch,
  },
  list: {
    summary: 'list every service a server knows and its status (the List RPC)',
    usage: 'grpc-health list -addr host:port [flags]',
    flags: { ...CONNECTION_FLAGS, ...HELP_FLAG },
    examples: ['grpc-health list -addr localhost:50051', 'grpc-health list -addr localhost:50051 --json | jq .statuses'],
    load: async () => (await import('./list.js')).runList,
  },
  dashboard: {
    summary: 'watch many backends and serve a live health page (also JSON and /metrics)',
    usage: 'grpc-health dashboard -target host:port|dns:///name:port... [-targets-file f] [-service name]... [-port 8080] [flags]',
    flags: {
      target: { kind: 'list', help: 'host:port, dns:///name:port (every address, re-resolved) or unix:///path; repeatable' },
      'targets-file': { kind: 'string', help: 'file with one target a line (# comments)' },
      service: CONNECTION_FLAGS.service,
      host: { kind: 'string', help: 'address the page listens on', defaultText: '127.0.0.1' },
      port: { kind: 'string', help: 'port the page listens on (0: any free port)', defaultText: '8080' },
      'rtt-interval': { kind: 'duration', help: 'how often each backend is Checked for its round-trip time (0: never)', defaultText: '5s' },
      'resolve-interval': { kind: 'duration', help: 'how often dns: targets are resolved again', defaultText: '30s' },
      'rpc-timeout': CONNECTION_FLAGS['rpc-timeout'],
      'user-agent': CONNECTION_FLAGS['user-agent'],
      'rpc-header': CONNECTION_FLAGS['rpc-header'],
      tls: CONNECTION_FLAGS.tls,
      'tls-ca-cert': CONNECTION_FLAGS['tls-ca-cert'],
      'tls-client-cert': CONNECTION_FLAGS['tls-client-cert'],
      'tls-client-key': CONNECTION_FLAGS['tls-client-key'],
      'tls-no-verify': CONNECTION_FLAGS['tls-no-verify'],
      'tls-server-name': CONNECTION_FLAGS['tls-server-name'],
      ...HELP_FLAG,
    },
    examples: [
      'grpc-health dashboard -target dns:///orders.internal:50051 -service orders.Orders -port 8080',
      'grpc-health dashboard -targets-file fleet.txt -service "" -service echo.Echo',
    ],
    load: async () => (await import('./dashboard.js')).runDashboard,
  },
  serve: {
    summary: 'run a stand-alone health server (statuses from flags, stdin or SIGUSR1)',
    usage: 'grpc-health serve [-host 127.0.0.1] [-port 50051] [-status svc=SERVING]...',
    flags: {
      host: { kind: 'string', help: 'address to listen on', defaultText: '127.0.0.1' },
      port: { kind: 'string', help: 'port to listen on (0: any free port)', defaultText: '50051' },
      status: { kind: 'list', help: 'initial status, service=SERVING|NOT_SERVING|UNKNOWN ("" starts SERVING)' },
      'exit-on-eof': { kind: 'bool', help: 'stop when stdin ends' },
      ...HELP_FLAG,
    },
    examples: [
      'grpc-health serve -port 50051 -status echo.Echo=NOT_SERVING',
      'then type on stdin: echo.Echo=SERVING | clear echo.Echo | shutdown | resume   (SIGUSR1 toggles shutdown)',
    ],
    load: async () => (await import('./serve.js')).runServe,
  },
};

/** The package's version, from its package.json (found from the source, the build or the bundle). */
function version(): string {
  for (const up of ['../../', '../../../']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name: string; version: string };
      if (pkg.name === 'grpc-health-kit') return `grpc-health (grpc-health-kit) ${pkg.version}`;
    } catch {
      // not there: try the next level
    }
  }
  return 'grpc-health (grpc-health-kit) unknown version';
}

function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(11)}${command.summary}`);
  return [
    'grpc-health: gRPC health checking from the command line',
    '',
    'usage: grpc-health <command> [flags]        (no command: check, as grpc_health_probe)',
    '',
    ...rows,
    '',
    "'grpc-health <command> --help' shows a command's flags and examples.",
    'exit codes: 0 SERVING, 1 bad arguments, 2 connection failure, 3 RPC failure, 4 not SERVING',
  ].join('\n');
}

function commandHelp(name: string, command: Command): string {
  return [`grpc-health ${name}: ${command.summary}`, '', `usage: ${command.usage}`, '', 'flags:', flagHelp(command.flags), '', 'examples:', ...command.examples.map((e) => `  ${e}`)].join('\n');
}

/** Runs the CLI with `argv` (without node and the script); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const first = argv[0];
  if (first === undefined || first === 'help' || first === '--help' || first === '-help' || first === '-h') {
    (first === undefined ? log : out)(mainHelp());
    return first === undefined ? EXIT.INVALID_ARGUMENTS : EXIT.OK;
  }
  if (first === '-version' || first === '--version') {
    out(version());
    return EXIT.OK;
  }
  const named = !first.startsWith('-');
  const name = named ? first : 'check';
  const command = COMMANDS[name];
  if (!command) {
    log(`error: unknown command ${JSON.stringify(name)} (commands: ${Object.keys(COMMANDS).join(', ')}; see grpc-health --help)`);
    return EXIT.INVALID_ARGUMENTS;
  }
  try {
    const { values, rest } = parseFlags(named ? argv.slice(1) : argv, command.flags);
    if (values.help === true) {
      out(commandHelp(name, command));
      return EXIT.OK;
    }
    if (values.version === true) {
      out(version());
      return EXIT.OK;
    }
    if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    const run = await command.load();
    return await run(values, log, out);
  } catch (error) {
    if (error instanceof UsageError) {
      log(`error: ${error.message}`);
      return EXIT.INVALID_ARGUMENTS;
    }
    if (error instanceof CliFailure) {
      log(error.message);
      return error.exitCode;
    }
    // Not ours to classify: report it whole, as an RPC-side failure.
    log(`error: ${(error as Error).stack ?? String(error)}`);
    return EXIT.RPC_FAILURE;
  }
}

process.exitCode = await main(process.argv.slice(2));
