/**
 * Interoperability with the published `grpc-health-check` package (grpc-node's
 * own health service, built on proto-loader): its server with our client, and our
 * server with a client built from its service definition.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, service as theirService } from 'grpc-health-check';
import { HealthClient, HealthRpcError } from '../../src/index.js';
import { insecure, next, startHealth, startServer } from '../helpers.js';

interface TheirReply {
  status: string;
}

describe('interop: grpc-health-check server, our client', () => {
  it('checks, watches and lists', async () => {
    const theirs = new HealthImplementation({ '': 'SERVING', 'a.A': 'NOT_SERVING' });
    const running = await startServer((server) => theirs.addToServer(server));
    const client = new HealthClient(running.address, insecure());
    try {
      assert.equal(await client.check(''), 'SERVING');
      assert.equal(await client.check('a.A'), 'NOT_SERVING');
      const missing = await client.check('b.B').catch((e: unknown) => e);
      assert.ok(missing instanceof HealthRpcError);
      assert.equal(missing.code, grpc.status.NOT_FOUND);

      const watch = client.watch('a.A');
      assert.equal(await next(watch), 'NOT_SERVING');
      theirs.setStatus('a.A', 'SERVING');
      assert.equal(await next(watch), 'SERVING');
      await watch.return();

      const unknown = client.watch('c.C');
      assert.equal(await next(unknown), 'SERVICE_UNKNOWN');
      theirs.setStatus('c.C', 'SERVING');
      assert.equal(await next(unknown), 'SERVING');
      await unknown.return();

      assert.deepEqual(Object.fromEntries(await client.list()), {
        '': 'SERVING',
        'a.A': 'SERVING',
        'c.C': 'SERVING',
      });
    } finally {
      client.close();
      running.stop();
    }
  });
});

describe("interop: our server, a client from grpc-health-check's definition", () => {
  it('answers its Check, Watch and List in its own encoding', async () => {
    const h = await startHealth({ statuses: { 'a.A': 'NOT_SERVING' } });
    const TheirClient = grpc.makeGenericClientConstructor(theirService, 'grpc.health.v1.Health');
    const client = new TheirClient(h.address, insecure()) as grpc.Client & Record<string, CallableFunction>;
    const unary = <T>(method: string, request: object): Promise<T> =>
      new Promise((resolve, reject) =>
        client[method]!(request, (error: grpc.ServiceError | null, reply: T) => (error ? reject(error) : resolve(reply))),
      );
    try {
      assert.deepEqual(await unary<TheirReply>('Check', { service: '' }), { status: 'SERVING' });
      assert.deepEqual(await unary<TheirReply>('Check', { service: 'a.A' }), { status: 'NOT_SERVING' });
      await assert.rejects(unary('Check', { service: 'nope' }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);

      const listed = await unary<{ statuses: Record<string, TheirReply> }>('List', {});
      assert.deepEqual(listed.statuses, { '': { status: 'SERVING' }, 'a.A': { status: 'NOT_SERVING' } });

      const call = client['Watch']!({ service: 'b.B' }) as grpc.ClientReadableStream<TheirReply>;
      const replies: string[] = [];
      const arrived = (count: number) =>
        new Promise<void>((resolve, reject) => {
          const onData = () => {
            if (replies.length >= count) {
              call.off('data', onData);
              resolve();
            }
          };
          call.on('data', onData);
          setTimeout(() => reject(new Error(`only ${replies.length} replies`)), 2000).unref();
        });
      call.on('data', (reply: TheirReply) => replies.push(reply.status));
      call.on('error', () => {});
      await arrived(1);
      h.health.setStatus('b.B', 'SERVING');
      await arrived(2);
      h.health.setStatus('b.B', 'NOT_SERVING');
      await arrived(3);
      assert.deepEqual(replies, ['SERVICE_UNKNOWN', 'SERVING', 'NOT_SERVING']);
      call.cancel();
    } finally {
      client.close();
      h.close();
    }
  });
});
