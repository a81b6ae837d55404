import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HEALTH_CHECK_KEEPALIVE, healthCheckChannelOptions, onBackendHealthChange } from '../../src/index.js';
import { startBackends } from '../backends.js';
import { within } from '../helpers.js';
import { healthCheckedClient, healthSettles, spread } from './balancer-helpers.js';

describe('health_check balancer: frozen backends', () => {
  it('sets HTTP/2 keepalive: 30 s between pings, 10 s for the answer', () => {
    const options = healthCheckChannelOptions('x');
    assert.equal(options['grpc.keepalive_time_ms'], HEALTH_CHECK_KEEPALIVE['grpc.keepalive_time_ms']);
    assert.equal(options['grpc.keepalive_timeout_ms'], HEALTH_CHECK_KEEPALIVE['grpc.keepalive_timeout_ms']);
    assert.deepEqual(HEALTH_CHECK_KEEPALIVE, { 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 });
  });

  it('drops a SIGSTOPped backend within keepalive time + timeout, and takes it back after SIGCONT', { timeout: 20_000 }, async (t) => {
    // Short keepalive so the test is quick; the defaults bound removal at 30 + 10 s the same way.
    const keepalive = { 'grpc.keepalive_time_ms': 300, 'grpc.keepalive_timeout_ms': 300 };
    const script = fileURLToPath(new URL('../fixtures/backend-process.js', import.meta.url));
    const child = spawn(process.execPath, [script, 'frozen'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [other] = await startBackends(1);
    let client: ReturnType<typeof healthCheckedClient> | undefined;
    let unsubscribe = () => {};
    try {
      const [line] = (await within(once(child.stdout, 'data'), 10_000, 'the child backend')) as [Buffer];
      const frozenAddress = `127.0.0.1:${/port=(\d+)/.exec(line.toString())![1]}`;
      client = healthCheckedClient(`ipv4:${frozenAddress},${other!.address}`, '', {
        ...keepalive,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 200,
      });
      await within(spread(client, 1), 5000, 'the first RPC'); // connects the channel
      await healthSettles((all) => all.filter((h) => h.state === 'SERVING').length === 2, 5000, 'both backends SERVING');
      assert.deepEqual(Object.keys(await spread(client, 10)).sort(), ['b0', 'frozen']);

      const left = new Promise<number>((resolve) => {
        unsubscribe = onBackendHealthChange((h) => {
          if (h.address === frozenAddress && h.state !== 'SERVING') resolve(performance.now());
        });
      });
      const stoppedAt = performance.now();
      child.kill('SIGSTOP');
      const removedMs = (await within(left, 5000, 'the frozen backend to leave the pick set')) - stoppedAt;
      unsubscribe();
      t.diagnostic(`frozen backend removed after ${removedMs.toFixed(0)} ms (keepalive 300 + 300 ms)`);
      // At most one keepalive interval until the next ping, then its timeout; slack for a loaded machine.
      assert.ok(removedMs < 300 + 300 + 1500, `removed after ${removedMs} ms`);
      assert.deepEqual(await within(spread(client, 20), 3000, 'traffic while frozen'), { b0: 20 });

      child.kill('SIGCONT');
      await healthSettles(
        (all) => all.some((h) => h.address === frozenAddress && h.state === 'SERVING'),
        5000,
        'the thawed backend SERVING again',
      );
      const seen = new Set<string>();
      for (let i = 0; i < 50 && seen.size < 2; i++) seen.add(Object.keys(await spread(client, 1))[0]!);
      assert.deepEqual([...seen].sort(), ['b0', 'frozen']);
    } finally {
      unsubscribe();
      client?.close();
      other?.stop();
      child.kill('SIGCONT');
      child.stdin.end();
      child.kill();
    }
  });
});
