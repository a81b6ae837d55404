/**
 * The differences from grpc-health-probe found in issue 14, one test each: the
 * probe's words and exit codes, and a process that always ends.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http2 from 'node:http2';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { HealthService, type HealthServiceHandlers, WireServingStatus } from '../../src/index.js';
import { type RunningServer, startHealth, startServer, within } from '../helpers.js';
import { runCli, startCli } from './run-cli.js';

type Started = Awaited<ReturnType<typeof startHealth>>;

/** Listens on 127.0.0.1:0; `onSocket` gets each connection. */
async function listen(server: Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('grpc-health check: as grpc-health-probe, and always ends (issue 14)', () => {
  let h: Started;
  let recorder: RunningServer;
  let seen: grpc.Metadata | undefined;
  let silent: Server;
  let silentPort: number;
  let closedPort: number;
  before(async () => {
    h = await startHealth({ statuses: { 'down.Down': 'NOT_SERVING' } });
    const handlers: HealthServiceHandlers = {
      check: (call, callback) => {
        seen = call.metadata;
        callback(null, { status: WireServingStatus.SERVING });
      },
      list: (_call, callback) => callback(null, { statuses: {} }),
      watch: (call) => call.end(),
    };
    recorder = await startServer((server) => server.addService(HealthService, handlers));
    silent = createServer(() => {}); // accepts, never speaks HTTP/2
    silentPort = await listen(silent);
    const closed = createServer();
    closedPort = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
  });
  after(() => {
    h.close();
    recorder.stop();
    silent.close();
  });

  for (const [what, port] of [
    ['a closed port', () => closedPort],
    ['a silent port', () => silentPort],
  ] as const) {
    it(`SIGTERM while connecting to ${what} (-connect-timeout 10s) exits at once: 2, "context canceled"`, async () => {
      const addr = `127.0.0.1:${port()}`;
      const running = startCli(['-addr', addr, '-connect-timeout', '10s', '-v']);
      await running.waitFor(/establishing connection\n/, 'stderr');
      running.child.kill('SIGTERM');
      const result = await within(running.done, 3000, 'the CLI to exit after SIGTERM');
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        new RegExp(`cancellation received \\(signal: terminated\\)\\nerror: failed to connect service at "${addr}": context canceled\\n$`),
      );
    });
  }

  it('a second signal ends the process at once (128 + signal number)', async () => {
    const interrupt = fileURLToPath(new URL('../../src/cli/interrupt.js', import.meta.url));
    const script = `import { abortOnInterrupt } from ${JSON.stringify(interrupt)};
      abortOnInterrupt((line) => console.error(line)); setInterval(() => {}, 1000); console.log('ready');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await within(new Promise((resolve) => child.stdout.once('data', resolve)), 5000, 'ready');
      child.kill('SIGTERM');
      await within(
        new Promise<void>((resolve) => child.stderr.on('data', () => /cancellation received/.test(stderr) && resolve())),
        5000,
        'the first signal to be seen',
      );
      child.kill('SIGTERM');
      assert.equal(await within(exited, 3000, 'exit after the second signal'), 143);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('-rpc-header ":x" (empty name) is refused before sending: 1, one line', async () => {
    const result = await runCli(['-addr', recorder.address, '-rpc-header', ':x']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'error: cannot send RPC header ":x": empty name\n');
  });

  it('-rpc-header "Bad Key: v" is refused before sending: 1, one line, no stack trace', async () => {
    const result = await runCli(['-addr', recorder.address, '-rpc-header', 'Bad Key: v']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: cannot send RPC header "Bad Key: v": a name may only have [^\n]*\n$/);
  });

  it('-rpc-header with a non-ASCII value is refused before sending: 1, one line, no stack trace', async () => {
    const result = await runCli(['-addr', recorder.address, '-rpc-header', 'k: café']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: cannot send RPC header "k: café": a value may only have printable ASCII[^\n]*\n$/);
  });

  it('-rpc-header "x-bin: abc" is sent as bytes, as the probe sends it: 0', async () => {
    seen = undefined;
    const result = await runCli(['-addr', recorder.address, '-rpc-header', 'x-bin: abc']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((seen as grpc.Metadata | undefined)?.get('x-bin'), [Buffer.from('abc')]);
  });

  it('a ~100 KB -rpc-header value that the server refuses: 3, one line, and the process exits', async () => {
    const server = http2.createServer({ settings: { maxHeaderListSize: 16 * 1024 } });
    server.on('stream', (stream) => stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { endStream: true }));
    const port = await listen(server);
    try {
      const result = await runCli(['-addr', `127.0.0.1:${port}`, '-rpc-header', `x-big: ${'a'.repeat(100_000)}`], 8000);
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /^error: health rpc failed: rpc error: code = \w+ desc = [^\n]*\n$/);
    } finally {
      server.close();
    }
  });

  it('-rpc-timeout 9999999999h is out of Go\'s range: 1, "parse error" as Go\'s flag says, no stack trace', async () => {
    const result = await runCli(['-addr', h.address, '-rpc-timeout', '9999999999h']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^invalid value "9999999999h" for flag -rpc-timeout: parse error\nUsage: /);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('-connect-timeout 9999999999h: 1 as well; a long valid one (1000h) connects normally', async () => {
    const overflow = await runCli(['-addr', h.address, '-connect-timeout', '9999999999h']);
    assert.equal(overflow.code, 1);
    assert.match(overflow.stderr, /^invalid value "9999999999h" for flag -connect-timeout: parse error\n/);
    const long = await runCli(['-addr', h.address, '-connect-timeout', '1000h']);
    assert.equal(long.code, 0, long.stderr);
  });

  it("watch -timeout 600h (past setTimeout's limit) waits instead of giving up at once", async () => {
    h.health.setStatus('late.Late', 'NOT_SERVING');
    const running = startCli(['watch', '-addr', h.address, '-service', 'late.Late', '-until', 'SERVING', '-timeout', '600h']);
    try {
      await running.waitFor(/NOT_SERVING/);
      h.health.setStatus('late.Late', 'SERVING');
      const result = await within(running.done, 5000, 'watch to exit');
      assert.equal(result.code, 0, result.stderr);
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  it('-rpc-timeout 1ns: 3, "within 1ns"', async () => {
    const result = await runCli(['-addr', h.address, '-rpc-timeout', '1ns']);
    assert.equal(result.code, 3);
    assert.equal(result.stderr, 'timeout: health rpc did not complete within 1ns\n');
  });

  it("-v prints the probe's lines: options, headers as Go's map, alts and spiffe, timings", async () => {
    const result = await runCli(['-addr', h.address, '-v', '-rpc-header', 'b: 2', '-rpc-header', 'a: 1', '-rpc-timeout', '1m30s']);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 7), [
      'parsed options:',
      `> addr=${h.address} conn_timeout=1s rpc_timeout=1m30s`,
      '> headers: {map[a:[1] b:[2]]}',
      '> tls=false',
      '> alts=false',
      '> spiffe=false',
      'establishing connection',
    ]);
    assert.match(lines[7]!, /^connection established \(took [\d.]+(ns|µs|ms|s)\)$/);
    assert.match(lines[8]!, /^time elapsed: connect=[\d.]+(ns|µs|ms|s) rpc=[\d.]+(ns|µs|ms|s)$/);
    assert.equal(lines[9], 'status: SERVING');
    assert.equal(lines.length, 10);
  });

  it('-v on a service that is not SERVING prints no timings (as the probe)', async () => {
    const result = await runCli(['-addr', h.address, '-v', '-service', 'down.Down']);
    assert.equal(result.code, 4);
    assert.doesNotMatch(result.stderr, /time elapsed/);
  });
});
