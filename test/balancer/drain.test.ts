/** A backend that drains (NOT_SERVING, then a graceful shutdown) loses no RPC. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Backend, ipv4Target, startBackends, who } from '../backends.js';
import { within } from '../helpers.js';
import { healthCheckedClient, healthOf, healthSettles } from './balancer-helpers.js';

describe('health_check balancer: drain', () => {
  it('moves traffic off a NOT_SERVING backend and loses no RPC while it shuts down', async () => {
    const backends = await startBackends(3);
    const [b0] = backends as [Backend];
    const client = healthCheckedClient(ipv4Target(backends));
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        try {
          await who(client, 5000);
          ok += 1;
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    try {
      const workers = Array.from({ length: 8 }, worker);
      await healthSettles((all) => all.filter((h) => h.state === 'SERVING').length === 3, 3000, 'three SERVING');
      while (b0.served < 50) await new Promise((resolve) => setImmediate(resolve));

      b0.health.setStatus('', 'NOT_SERVING');
      await healthSettles((all) => healthOf(b0, all)?.state === 'NOT_SERVING', 3000, 'the client to see NOT_SERVING');
      const servedAtDrain = b0.served;
      const okAtDrain = ok;
      // Graceful stop: in-flight RPCs finish; the client ends its Watch on GOAWAY.
      await within(
        new Promise<void>((resolve, reject) => b0.server.tryShutdown((error) => (error ? reject(error) : resolve()))),
        5000,
        'the drained backend to shut down',
      );
      const okAfter = ok;
      while (ok < okAfter + 500) await new Promise((resolve) => setImmediate(resolve));
      running = false;
      await Promise.all(workers);

      assert.deepEqual(failures, []);
      // Only RPCs already picked when NOT_SERVING arrived may still have reached b0.
      assert.ok(b0.served - servedAtDrain <= 8, `b0 served ${b0.served - servedAtDrain} after the client saw NOT_SERVING`);
      assert.ok(ok > okAtDrain + 500);
    } finally {
      running = false;
      client.close();
      for (const backend of backends) backend.stop();
    }
  });
});
