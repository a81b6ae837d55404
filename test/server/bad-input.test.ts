import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthArgumentError, HealthRpcError } from '../../src/index.js';
import { insecure, next, startHealth, within } from '../helpers.js';

type Started = Awaited<ReturnType<typeof startHealth>>;

function rawUnary(client: grpc.Client, method: string, body: Buffer): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/grpc.health.v1.Health/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      { deadline: Date.now() + 2000 },
      (error) => resolve(error),
    );
  });
}

describe('HealthServer: bad input', () => {
  let h: Started;
  let raw: grpc.Client;
  before(async () => {
    h = await startHealth();
    raw = new grpc.Client(h.address, insecure());
  });
  after(() => {
    raw.close();
    h.close();
  });

  it('answers a malformed request with a gRPC status, and keeps serving', async () => {
    // A truncated varint tag, then a length-delimited field longer than the message.
    for (const body of [Buffer.from([0xff, 0xff, 0xff]), Buffer.from([0x0a, 0x7f, 0x41])]) {
      const error = await rawUnary(raw, 'Check', body);
      assert.equal(error?.code, grpc.status.INTERNAL, `body ${body.toString('hex')}`);
    }
    assert.equal(await h.client.check(''), 'SERVING');
  });

  it('answers a request for an unknown method with UNIMPLEMENTED', async () => {
    const error = await rawUnary(raw, 'Nope', Buffer.alloc(0));
    assert.equal(error?.code, grpc.status.UNIMPLEMENTED);
  });

  it('treats unknown fields as the protocol says: ignored', async () => {
    // field 1 = "" plus an unknown field 9 (varint 1)
    const error = await rawUnary(raw, 'Check', Buffer.from([0x0a, 0x00, 0x48, 0x01]));
    assert.equal(error, null);
  });

  it('answers NOT_FOUND for an over-long name on Check, with the name cut in the message', async () => {
    const error = await h.client.check('y'.repeat(5000)).catch((e: unknown) => e);
    assert.ok(error instanceof HealthRpcError);
    assert.equal(error.code, grpc.status.NOT_FOUND);
    assert.ok(error.details.length < 200, `details of ${error.details.length} characters`);
  });

  it('answers RESOURCE_EXHAUSTED for a name larger than the receive limit', async () => {
    const error = await h.client.check('z'.repeat(5 * 1024 * 1024), { deadline: 5000 }).catch((e: unknown) => e);
    assert.ok(error instanceof HealthRpcError);
    assert.equal(error.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(await h.client.check(''), 'SERVING');
  });

  it('refuses to register an over-long name', () => {
    assert.throws(() => h.health.setStatus('n'.repeat(1025), 'SERVING'), HealthArgumentError);
  });

  it('survives a Watch whose request is malformed', async () => {
    const call = raw.makeServerStreamRequest(
      '/grpc.health.v1.Health/Watch',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from([0xff]),
    );
    const [error] = (await within(once(call, 'error'), 2000, 'the malformed Watch to fail')) as [grpc.ServiceError];
    assert.equal(error.code, grpc.status.INTERNAL);
    assert.equal(h.health.watcherCount(), 0);
    assert.equal(await next(h.client.watch('')), 'SERVING');
  });
});
