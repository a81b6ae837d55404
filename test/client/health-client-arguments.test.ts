import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { HealthArgumentError, HealthClient, HealthRpcError, isServingStatus } from '../../src/index.js';
import { collectUnhandledRejections, startHealth, within } from '../helpers.js';

describe('HealthClient: any argument ends in a result or a typed rejection', () => {
  it('a deadline grpc-js cannot send (3.7e14 ms) rejects with HealthArgumentError instead of crashing the process', async () => {
    const h = await startHealth();
    try {
      assert.equal(await h.client.check(''), 'SERVING', 'connected first: the crash was on a live connection');
      for (const deadline of [3.7e14, 2 ** 31, new Date(Date.now() + 3.7e14), new Date(Number.NaN), Number.NaN, -1, Infinity]) {
        await assert.rejects(h.client.check('', { deadline }), HealthArgumentError, String(deadline));
        await assert.rejects(h.client.list({ deadline }), HealthArgumentError);
      }
      assert.equal(await h.client.check('', { deadline: 2 ** 31 - 1 }), 'SERVING', 'the longest deadline accepted');
      assert.throws(() => new HealthClient(h.address, grpc.credentials.createInsecure(), { timeoutMs: 3.7e14 }), HealthArgumentError);
    } finally {
      h.close();
    }
  });

  it('watchHealth refuses a misspelt backoff key (HealthArgumentError), before any call', async () => {
    const client = new HealthClient('127.0.0.1:1', grpc.credentials.createInsecure());
    try {
      await assert.rejects(client.watchHealth('', { backoff: { initalMs: 5 } as never }).next(), HealthArgumentError);
    } finally {
      client.close();
    }
  });

  it('property: check, list and watch with any service and options resolve or reject with a typed error', async () => {
    const h = await startHealth({ statuses: { 'a.A': 'NOT_SERVING' } });
    const rejections = collectUnhandledRejections();
    const garbage = fc.oneof(fc.constant(null), fc.double(), fc.string({ maxLength: 4 }), fc.boolean(), fc.object({ maxDepth: 1 }));
    const deadline = fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: 200, max: 5000 }),
      fc.double({ min: -1e300, max: 1e300 }),
      fc.integer({ min: -1e10, max: 1e10 }).map((ms) => new Date(Date.now() + ms)),
      fc.constant(new Date(Number.NaN)),
      garbage,
    );
    const signal = fc.oneof(
      fc.constant(undefined),
      fc.constant('live' as const).map(() => new AbortController().signal),
      fc.constant('aborted' as const).map(() => AbortSignal.abort()),
      garbage,
    );
    const metadata = fc.oneof(
      fc.constant(undefined),
      fc.constant(null).map(() => new grpc.Metadata()),
      garbage,
    );
    const options = fc.oneof(fc.record({ deadline, signal, metadata }, { requiredKeys: [] }), fc.constant(undefined), garbage);
    const service = fc.oneof(fc.constantFrom('', 'a.A', 'nope', '__proto__'), fc.string({ maxLength: 5 }), garbage);
    const method = fc.constantFrom('check', 'list', 'watch');
    const typed = (error: unknown) => error instanceof HealthArgumentError || error instanceof HealthRpcError;
    try {
      await fc.assert(
        fc.asyncProperty(method, service, options, async (m, s, o) => {
          const client = h.client as unknown as Record<string, (...args: unknown[]) => unknown>;
          let outcome: unknown;
          try {
            if (m === 'watch') {
              const watch = client.watch!(s, o) as AsyncGenerator<unknown>;
              outcome = await within(watch.next(), 3000, 'the first watch message');
              await watch.return(undefined);
            } else {
              outcome = await within(
                m === 'list' ? (client.list!(o) as Promise<unknown>) : (client.check!(s, o) as Promise<unknown>),
                6000,
                m,
              );
            }
          } catch (error) {
            assert.ok(typed(error), `${m}: ${String(error)}`);
            return;
          }
          if (m === 'check') assert.ok(isServingStatus(outcome));
          if (m === 'list') assert.ok(outcome instanceof Map);
        }),
        { numRuns: 100 },
      );
      await rejections.assertNone();
    } finally {
      rejections.stop();
      h.close();
    }
  });
});
