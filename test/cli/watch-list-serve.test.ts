import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthClient, HealthService, type HealthServiceHandlers } from '../../src/index.js';
import { insecure, next, startHealth, startServer, within } from '../helpers.js';
import { runCli, startCli } from './run-cli.js';

describe('grpc-health watch', () => {
  it('prints each change with a timestamp and exits 0 on SIGINT', async () => {
    const h = await startHealth({ statuses: { 'w.W': 'SERVING' } });
    const running = startCli(['watch', '-addr', h.address, '-service', 'w.W']);
    try {
      await running.waitFor(/"w\.W" {2}SERVING\n/);
      h.health.setStatus('w.W', 'NOT_SERVING');
      await running.waitFor(/"w\.W" {2}NOT_SERVING\n/);
      const lines = running.stdout().trim().split('\n');
      assert.equal(lines.length, 2);
      for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}"w\.W" {2}/);
      running.child.kill('SIGINT');
      assert.equal((await within(running.done, 10_000, 'the CLI to exit')).code, 0);
    } finally {
      running.child.kill('SIGKILL');
      h.close();
    }
  });

  it('-until SERVING exits 0 once the service is SERVING', async () => {
    const h = await startHealth({ statuses: { 'w.W': 'NOT_SERVING' } });
    const running = startCli(['watch', '-addr', h.address, '-service', 'w.W', '-until', 'SERVING', '-timeout', '10s', '--json']);
    try {
      await running.waitFor(/NOT_SERVING/);
      h.health.setStatus('w.W', 'SERVING');
      const result = await within(running.done, 10_000, 'the CLI to exit');
      assert.equal(result.code, 0, result.stderr);
      const events = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      assert.deepEqual(
        events.map((e) => e.status),
        ['NOT_SERVING', 'SERVING'],
      );
    } finally {
      running.child.kill('SIGKILL');
      h.close();
    }
  });

  it('-until waits through a server that is not up yet', async () => {
    // Find a free port, start the watch, then start the server there.
    const probe = await startServer(() => {});
    probe.stop();
    const running = startCli(['watch', '-addr', probe.address, '-until', 'SERVING', '-timeout', '20s']);
    try {
      await running.waitFor(/retrying in/, 'stderr');
      const { HealthServer } = await import('../../src/index.js');
      const health = new HealthServer();
      const server = new grpc.Server();
      health.addToServer(server);
      await new Promise<void>((resolve, reject) =>
        server.bindAsync(probe.address, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
      );
      try {
        const result = await within(running.done, 10_000, 'the CLI to exit');
        assert.equal(result.code, 0, result.stderr);
      } finally {
        server.forceShutdown();
      }
    } finally {
      running.child.kill('SIGKILL');
    }
  });

  it('-timeout: exits 4 when the service never gets there, 2 when nothing listens', async () => {
    const h = await startHealth({ statuses: { 'w.W': 'NOT_SERVING' } });
    try {
      const started = Date.now();
      const result = await runCli(['watch', '-addr', h.address, '-service', 'w.W', '-until', 'SERVING', '-timeout', '400ms']);
      assert.equal(result.code, 4);
      assert.match(result.stderr, /service "w\.W" did not become SERVING within 400ms \(last status NOT_SERVING\)/);
      assert.ok(Date.now() - started < 5000);
    } finally {
      h.close();
    }
    const probe = await startServer(() => {});
    probe.stop();
    const nothing = await runCli(['watch', '-addr', probe.address, '-until', 'SERVING', '-timeout', '400ms']);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /timeout: failed to connect service "127\.0\.0\.1:\d+" within 400ms/);
  });

  it('exits 3 against a server without a health service, and 1 on bad -until/-timeout', async () => {
    const bare = await startServer(() => {});
    try {
      const result = await runCli(['watch', '-addr', bare.address]);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /does not implement the grpc health protocol/);
    } finally {
      bare.stop();
    }
    assert.equal((await runCli(['watch', '-addr', 'x:1', '-until', 'READY'])).code, 1);
    assert.equal((await runCli(['watch', '-addr', 'x:1', '-timeout', '1s'])).code, 1);
  });
});

describe('grpc-health list', () => {
  it('prints a table, or JSON', async () => {
    const h = await startHealth({ statuses: { 'b.B': 'NOT_SERVING', 'a.A': 'SERVING' } });
    try {
      const table = await runCli(['list', '-addr', h.address]);
      assert.equal(table.code, 0, table.stderr);
      assert.equal(table.stdout, 'SERVICE  STATUS\n""       SERVING\na.A      SERVING\nb.B      NOT_SERVING\n');
      const json = await runCli(['list', '-addr', h.address, '-json']);
      assert.deepEqual(JSON.parse(json.stdout), {
        address: h.address,
        statuses: { '': 'SERVING', 'a.A': 'SERVING', 'b.B': 'NOT_SERVING' },
      });
    } finally {
      h.close();
    }
  });

  it('says clearly when the server has no List, or too many services', async () => {
    const noList = {
      check: (_call, callback) => callback(null, { status: 1 }),
      watch: () => {},
    } as Partial<HealthServiceHandlers> as HealthServiceHandlers;
    const old = await startServer((server) => server.addService(HealthService, noList));
    try {
      const result = await runCli(['list', '-addr', old.address]);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /^error: this server does not implement List/);
    } finally {
      old.stop();
    }
    const h = await startHealth({ maxListedServices: 1, statuses: { 'a.A': 'SERVING' } });
    try {
      const result = await runCli(['list', '-addr', h.address]);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /code = ResourceExhausted desc = server health list exceeds maximum capacity: 1/);
    } finally {
      h.close();
    }
  });
});

describe('grpc-health serve', () => {
  it('serves the statuses given, changes them from stdin and SIGUSR1, stops on SIGTERM', async () => {
    const running = startCli(['serve', '-port', '0', '-status', 'a.A=NOT_SERVING', '-status', 'b.B=serving']);
    let client: HealthClient | undefined;
    try {
      await running.waitFor(/listening on 127\.0\.0\.1:(\d+)\n/);
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(running.stdout())![1];
      client = new HealthClient(`127.0.0.1:${port}`, insecure());
      assert.equal(await client.check(''), 'SERVING');
      assert.equal(await client.check('a.A'), 'NOT_SERVING');
      assert.equal(await client.check('b.B'), 'SERVING');

      const watch = client.watch('a.A');
      assert.equal(await next(watch), 'NOT_SERVING');
      running.child.stdin!.write('a.A=SERVING\n');
      assert.equal(await next(watch), 'SERVING');
      running.child.kill('SIGUSR1'); // shutdown: everything NOT_SERVING
      assert.equal(await next(watch), 'NOT_SERVING');
      running.child.kill('SIGUSR1'); // resume
      assert.equal(await next(watch), 'SERVING');
      running.child.stdin!.write('bogus line\n');
      await running.waitFor(/error: invalid status "bogus line"/, 'stderr');
      await watch.return();

      running.child.kill('SIGTERM');
      assert.equal((await within(running.done, 10_000, 'the CLI to exit')).code, 0);
    } finally {
      client?.close();
      running.child.kill('SIGKILL');
    }
  });

  it('rejects a bad -status or -port', async () => {
    assert.equal((await runCli(['serve', '-status', 'a.A'])).code, 1);
    assert.equal((await runCli(['serve', '-status', 'a.A=SERVICE_UNKNOWN'])).code, 1);
    assert.equal((await runCli(['serve', '-port', 'http'])).code, 1);
  });
});
