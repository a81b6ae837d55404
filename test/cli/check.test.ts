import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthServer, HealthService, type HealthServiceHandlers } from '../../src/index.js';
import { type RunningServer, startHealth, startServer, within } from '../helpers.js';
import { runCli, startCli } from './run-cli.js';

type Started = Awaited<ReturnType<typeof startHealth>>;

/** A port nothing listens on: bound by a server that is then stopped. */
async function closedPort(): Promise<number> {
  const running = await startServer(() => {});
  running.stop();
  return running.port;
}

describe('grpc-health check: exit codes and messages (grpc-health-probe)', () => {
  let h: Started;
  let bare: RunningServer;
  let silent: RunningServer;
  let seen: grpc.Metadata | undefined;
  before(async () => {
    h = await startHealth({ statuses: { 'up.Up': 'SERVING', 'down.Down': 'NOT_SERVING' } });
    bare = await startServer(() => {});
    const handlers: HealthServiceHandlers = {
      check: (call) => {
        seen = call.metadata;
      },
      list: () => {},
      watch: () => {},
    };
    silent = await startServer((server) => server.addService(HealthService, handlers));
  });
  after(() => {
    h.close();
    bare.stop();
    silent.stop();
  });

  it('0: SERVING, "status: SERVING" on stderr', async () => {
    const result = await runCli(['check', '-addr', h.address]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, 'status: SERVING\n');
    assert.equal(result.stdout, '');
  });

  it('0 with every flag spelling, and without the word check', async () => {
    for (const args of [
      ['-addr', h.address, '-service', 'up.Up'],
      [`-addr=${h.address}`, '-service=up.Up'],
      [`--addr=${h.address}`, '--service', 'up.Up', '--rpc-timeout=2s', '-connect-timeout', '1500ms'],
    ]) {
      const result = await runCli(args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
  });

  it('4: answered but not SERVING', async () => {
    const result = await runCli(['check', '-addr', h.address, '-service', 'down.Down']);
    assert.equal(result.code, 4);
    assert.equal(result.stderr, 'service unhealthy (responded with "NOT_SERVING")\n');
  });

  it('3: NOT_FOUND for an unknown service', async () => {
    const result = await runCli(['check', '-addr', h.address, '-service', 'who.Knows']);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^error: health rpc failed: rpc error: code = NotFound desc = unknown service "who\.Knows"\n$/);
  });

  it('3: UNIMPLEMENTED when the server has no health service', async () => {
    const result = await runCli(['check', '-addr', bare.address]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\)/);
  });

  it('3: the RPC deadline passes', async () => {
    const result = await runCli(['check', '-addr', silent.address, '-rpc-timeout', '200ms']);
    assert.equal(result.code, 3);
    assert.equal(result.stderr, 'timeout: health rpc did not complete within 200ms\n');
  });

  it('2: nothing listens', async () => {
    const port = await closedPort();
    const started = Date.now();
    const result = await runCli(['check', '-addr', `127.0.0.1:${port}`, '-connect-timeout', '300ms']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, `timeout: failed to connect service "127.0.0.1:${port}" within 300ms\n`);
    assert.ok(Date.now() - started < 5000);
  });

  it('2: a port node:net refuses outright (99999) fails each attempt, in the words of the probe', async () => {
    const result = await runCli(['check', '-addr', '127.0.0.1:99999', '-connect-timeout', '300ms']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'timeout: failed to connect service "127.0.0.1:99999" within 300ms\n');
  });

  it('several services: the worst exit code, one JSON object each with -json', async () => {
    const result = await runCli(['check', '-addr', h.address, '-service', 'up.Up', '-service', 'down.Down', '-service', '', '--json']);
    assert.equal(result.code, 4);
    const objects = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      objects.map((o) => [o.service, o.status, o.code, o.address]),
      [
        ['up.Up', 'SERVING', 0, h.address],
        ['down.Down', 'NOT_SERVING', 4, h.address],
        ['', 'SERVING', 0, h.address],
      ],
    );
    assert.ok(objects.every((o) => typeof o.latency_ms === 'number'));
    const failing = await runCli(['check', '-addr', h.address, '-service', 'up.Up', '-service', 'nope', '-json']);
    assert.equal(failing.code, 3);
    assert.match(JSON.parse(failing.stdout.trim().split('\n')[1]!).error, /code = NotFound/);
  });

  it('sends -rpc-header values and -user-agent', async () => {
    seen = undefined;
    const result = await runCli([
      'check',
      '-addr',
      silent.address,
      '-rpc-timeout',
      '300ms',
      '-rpc-header',
      'x-token: a b',
      '-rpc-header',
      'x-token:c',
      '-rpc-header',
      'X-Other:  d',
      '-user-agent',
      'kube-probe/1.31',
    ]);
    assert.equal(result.code, 3); // the silent server never answers
    const metadata = seen as grpc.Metadata | undefined;
    // Repeated headers arrive joined, as HTTP/2 presents them.
    assert.deepEqual(metadata?.get('x-token'), ['a b, c']);
    assert.deepEqual(metadata?.get('x-other'), ['d']);
    assert.match(String(metadata?.get('user-agent')[0]), /^kube-probe\/1\.31/);
  });

  it('-v prints the options and the timings; -gzip still works', async () => {
    const result = await runCli(['check', '-addr', h.address, '-v', '-gzip']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /parsed options:/);
    assert.match(result.stderr, /connection established \(took [\d.]+m?s\)/);
    assert.match(result.stderr, /time elapsed: connect=[\d.]+m?s rpc=[\d.]+m?s/);
  });

  it('reaches a server on a Unix socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grpc-health-sock-'));
    const socket = join(dir, 'health.sock');
    const health = new HealthServer();
    const server = new grpc.Server();
    health.addToServer(server);
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
    );
    try {
      const result = await runCli(['check', '-addr', `unix://${socket}`]);
      assert.equal(result.code, 0, result.stderr);
    } finally {
      server.forceShutdown();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('SIGINT cancels the call', async () => {
    const running = startCli(['check', '-addr', silent.address, '-rpc-timeout', '30s', '-v']);
    await running.waitFor(/connection established/, 'stderr');
    running.child.kill('SIGINT');
    const result = await within(running.done, 5000, 'the CLI to exit');
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /cancellation received \(signal: interrupt\)\nerror: health rpc failed: rpc error: code = Canceled desc = context canceled\n$/,
    );
  });
});

describe('grpc-health check: bad arguments exit 1 with one line', () => {
  const cases: [string[], RegExp][] = [
    [[], /^error: -addr not specified\n$/],
    [['check'], /^error: -addr not specified\n$/],
    [['check', '-addr', 'x:1', '-connect-timeout', '0'], /^error: -connect-timeout must be greater than zero \(specified: 0s\)\n$/],
    [['check', '-addr', 'x:1', '-rpc-timeout=-1s'], /^error: -rpc-timeout must be greater than zero \(specified: -1s\)\n$/],
    [['check', '-addr', 'x:1', '-rpc-timeout', 'soon'], /^invalid value "soon" for flag -rpc-timeout: parse error\nUsage: /],
    [['check', '-addr', 'x:1', '-bogus'], /^flag provided but not defined: -bogus\nUsage: /],
    [['check', '-addr'], /^flag needs an argument: -addr\nUsage: /],
    [['check', '-addr', 'x:1', '-tls-no-verify'], /^error: specified -tls-no-verify without specifying -tls\n$/],
    [['check', '-addr', 'x:1', '-tls-ca-cert', 'ca.pem'], /^error: specified -tls-ca-cert without specifying -tls\n$/],
    [['check', '-addr', 'x:1', '-tls-server-name', 'x'], /^error: specified -tls-server-name without specifying -tls\n$/],
    [
      ['check', '-addr', 'x:1', '-tls', '-tls-client-cert', 'c.pem'],
      /^error: specified -tls-client-cert without specifying -tls-client-key\n$/,
    ],
    [
      ['check', '-addr', 'x:1', '-tls', '-tls-client-key', 'k.pem'],
      /^error: specified -tls-client-key without specifying -tls-client-cert\n$/,
    ],
    [
      ['check', '-addr', 'x:1', '-tls', '-tls-no-verify', '-tls-ca-cert', 'ca.pem'],
      /^error: cannot specify -tls-ca-cert with -tls-no-verify/,
    ],
    [
      ['check', '-addr', 'x:1', '-tls', '-tls-no-verify', '-tls-server-name', 'x'],
      /^error: cannot specify -tls-server-name with -tls-no-verify/,
    ],
    [
      ['check', '-addr', 'x:1', '-rpc-header', 'novalue'],
      /^invalid value "novalue" for flag -rpc-header: invalid RPC header, expected 'key: value', got "novalue"\nUsage: /,
    ],
    [
      ['check', '-addr', 'x:1', '-tls', '-tls-ca-cert', '/nonexistent/ca.pem'],
      /^failed to initialize tls credentials\. error=failed to load root CA certificates from file \(\/nonexistent\/ca\.pem\) error=open \/nonexistent\/ca\.pem: no such file or directory\n$/,
    ],
    [['check', '-addr', 'x:1', 'extra'], /^error: unexpected argument "extra"\n$/],
    [['nope'], /^error: unknown command "nope"/],
    [['-tls=maybe', '-addr', 'x:1'], /^invalid boolean value "maybe" for -tls: parse error\nUsage: /],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ') || '(nothing)'}`, async () => {
      const result = await runCli(args);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, message);
    });
  }

  it('-h, -help and --help: the usage on stderr, exit 1 (as the probe); `help` lists the commands, exit 0', async () => {
    for (const flag of ['-h', '-help', '--help']) {
      const result = await runCli([flag]);
      assert.equal(result.code, 1, flag);
      assert.equal(result.stdout, '');
      assert.match(
        result.stderr,
        /^grpc-health: [\s\S]*Usage: grpc-health \[check\][\s\S]*\n {2}-addr string\n {4}\t\(required\)[\s\S]*\n {2}-connect-timeout duration\n {4}\ttimeout for establishing connection \(default 1s\)\n/,
      );
    }
    for (const command of ['check', 'watch', 'list', 'serve']) {
      const result = await runCli([command, '-help']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^Usage: grpc-health \\[?${command}[\\s\\S]*Examples:`));
    }
    const help = await runCli(['help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^grpc-health: [\s\S]*check[\s\S]*watch[\s\S]*list[\s\S]*serve/);
  });

  it('-version prints the version', async () => {
    for (const args of [['-version'], ['check', '-version'], ['--version']]) {
      const result = await runCli(args);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /^grpc-health \(grpc-health-kit\) \d+\.\d+\.\d+\n$/);
    }
  });
});
