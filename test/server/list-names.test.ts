import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthListRequest } from '../../src/index.js';
import { startHealth } from '../helpers.js';

describe('List: every name is listed', () => {
  it('sends a service named "__proto__" (and "constructor") like any other', async () => {
    const h = await startHealth({ statuses: JSON.parse('{"__proto__": "NOT_SERVING", "constructor": "SERVING", "a.A": "SERVING"}') });
    const raw = new grpc.Client(h.address, grpc.credentials.createInsecure());
    try {
      assert.equal(h.health.getStatus('__proto__'), 'NOT_SERVING');
      // The reply's bytes, read without a decoder that could drop keys itself.
      const bytes = await new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest(
          '/grpc.health.v1.Health/List',
          (request: HealthListRequest) => Buffer.from(HealthListRequest.encode(request).finish()),
          (reply: Buffer) => reply,
          {},
          (error, reply) => (error ? reject(error) : resolve(reply!)),
        ),
      );
      for (const name of ['__proto__', 'constructor', 'a.A']) assert.ok(bytes.includes(name), `${name} is in the reply`);
    } finally {
      raw.close();
      h.close();
    }
  });
});
