import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  DEFAULT_TIMEOUT_MS,
  HealthArgumentError,
  HealthClient,
  type HealthClientOptions,
  HealthRpcError,
  HealthService,
  type HealthServiceHandlers,
} from '../../src/index.js';
import { insecure, next, readToEnd, startHealth, startServer, until, within } from '../helpers.js';

async function failure(promise: Promise<unknown>): Promise<HealthRpcError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HealthRpcError, `not a HealthRpcError: ${String(error)}`);
  return error;
}

/** A health service whose Check and List never answer and whose Watch sends nothing. */
function silentHandlers(overrides: Partial<HealthServiceHandlers> = {}): HealthServiceHandlers {
  return { check: () => {}, list: () => {}, watch: () => {}, ...overrides };
}

/**
 * Runs `body` with a client of a fresh server that serves `handlers` (no health
 * service when `undefined`), then closes both.
 */
async function withServer(
  handlers: HealthServiceHandlers | undefined,
  body: (client: HealthClient) => Promise<void>,
  options: HealthClientOptions = {},
): Promise<void> {
  const running = await startServer((server) => {
    if (handlers) server.addService(HealthService, handlers);
  });
  // Its own connection: a pooled subchannel to a port an earlier test used (and the OS
  // handed out again) may still be backing off, and a Watch would fail UNAVAILABLE at once.
  const client = new HealthClient(running.address, insecure(), { 'grpc.use_local_subchannel_pool': 1, ...options });
  try {
    await body(client);
  } finally {
    client.close();
    running.stop();
  }
}

describe('HealthClient: deadlines and cancellation', () => {
  it('defaults to a 1 s deadline when given none', async () => {
    assert.equal(DEFAULT_TIMEOUT_MS, 1000);
    await withServer(silentHandlers(), async (client) => {
      const started = Date.now();
      // A missing default deadline must fail here, not hang the test.
      const error = await within(failure(client.check('')), 4000, 'Check to end on its default deadline');
      assert.equal(error.code, grpc.status.DEADLINE_EXCEEDED);
      const took = Date.now() - started;
      assert.ok(took >= 950 && took < 3000, `took ${took} ms`);
    });
  });

  it('always sets a deadline: a silent server gives DEADLINE_EXCEEDED', async () => {
    await withServer(
      silentHandlers(),
      async (client) => {
        const started = Date.now();
        const error = await within(failure(client.check('a')), 2000, 'Check to end on timeoutMs');
        assert.equal(error.code, grpc.status.DEADLINE_EXCEEDED);
        assert.equal(error.method, 'Check');
        assert.equal(error.service, 'a');
        assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
        assert.equal((await within(failure(client.list({ deadline: 100 })), 2000, 'List to end')).code, grpc.status.DEADLINE_EXCEEDED);
        assert.equal(
          (await within(failure(client.check('', { deadline: new Date(Date.now() + 100) })), 2000, 'Check to end')).code,
          grpc.status.DEADLINE_EXCEEDED,
        );
      },
      { timeoutMs: 150 },
    );
  });

  it('cancels a pending call when the signal aborts', async () => {
    await withServer(
      silentHandlers(),
      async (client) => {
        const controller = new AbortController();
        const pending = client.check('', { signal: controller.signal });
        controller.abort();
        assert.equal((await within(failure(pending), 2000, 'the aborted Check')).code, grpc.status.CANCELLED);
        assert.equal((await failure(client.check('', { signal: controller.signal }))).code, grpc.status.CANCELLED);
      },
      { timeoutMs: 5000 },
    );
  });

  it('rejects a nonsensical deadline with a typed error', () => {
    assert.throws(() => new HealthClient('127.0.0.1:1', insecure(), { timeoutMs: 0 }), HealthArgumentError);
    const client = new HealthClient('127.0.0.1:1', insecure());
    try {
      return assert.rejects(client.check('', { deadline: -5 }), HealthArgumentError);
    } finally {
      client.close();
    }
  });

  it('reports an unreachable server as UNAVAILABLE or DEADLINE_EXCEEDED, not a hang', async () => {
    const running = await startServer(() => {
      /* nothing: stopped right away, so the port is closed */
    }, {});
    running.stop();
    const client = new HealthClient(running.address, insecure(), { timeoutMs: 300 });
    try {
      const error = await within(failure(client.check('')), 3000, 'Check of a closed port');
      assert.ok([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(error.code), error.message);
    } finally {
      client.close();
    }
  });
});

describe('HealthClient: a server without a health service', () => {
  it('rejects Check, List and Watch with UNIMPLEMENTED', async () => {
    await withServer(undefined, async (client) => {
      assert.equal((await failure(client.check(''))).code, grpc.status.UNIMPLEMENTED);
      assert.equal((await failure(client.list())).code, grpc.status.UNIMPLEMENTED);
      const error = await failure(next(client.watch('')));
      assert.equal(error.code, grpc.status.UNIMPLEMENTED);
      assert.equal(error.method, 'Watch');
    });
  });
});

describe('HealthClient: watch', () => {
  it('ends quietly on abort and leaves no stream on the server', async () => {
    const h = await startHealth();
    try {
      const controller = new AbortController();
      const seen = await readToEnd(h.client.watch('', { signal: controller.signal }), 2000, 'the aborted watch to end', () =>
        controller.abort(),
      );
      assert.deepEqual(seen, ['SERVING']);
      await until(() => h.health.watcherCount() === 0, 2000, 'the server to drop the watcher');
      // An already aborted signal starts nothing.
      assert.deepEqual(await readToEnd(h.client.watch('', { signal: controller.signal }), 2000, 'a watch with an aborted signal'), []);
    } finally {
      h.close();
    }
  });

  it('ends when the server ends the stream with OK', async () => {
    const endsAfterOne = silentHandlers({
      watch: (call) => {
        call.write({ status: 1 });
        call.end();
      },
    });
    await withServer(endsAfterOne, async (client) => {
      assert.deepEqual(await readToEnd(client.watch('x'), 2000, 'the watch to end with the stream'), ['SERVING']);
    });
  });

  it('throws when the server goes away mid-stream (grpc-js reports CANCELLED or UNAVAILABLE)', async () => {
    const h = await startHealth();
    try {
      const watch = h.client.watch('');
      assert.equal(await next(watch), 'SERVING');
      h.server.forceShutdown();
      const error = await failure(next(watch));
      assert.ok([grpc.status.CANCELLED, grpc.status.UNAVAILABLE].includes(error.code), error.message);
    } finally {
      h.close();
    }
  });

  it('reads a status number it does not know as UNKNOWN', async () => {
    const answers42 = silentHandlers({ check: (_call, callback) => callback(null, { status: 42 as never }) });
    await withServer(answers42, async (client) => {
      assert.equal(await client.check(''), 'UNKNOWN');
    });
  });
});

describe('HealthClient: over an existing channel', () => {
  it('shares the channel and leaves it open on close', async () => {
    const h = await startHealth();
    const channel = new grpc.Channel(h.address, insecure(), {});
    try {
      const client = HealthClient.overChannel(channel);
      assert.equal(await client.check(''), 'SERVING');
      client.close();
      assert.notEqual(channel.getConnectivityState(false), grpc.connectivityState.SHUTDOWN);
    } finally {
      channel.close();
      h.close();
    }
  });

  it('sends metadata', async () => {
    let seen: grpc.MetadataValue[] = [];
    const recordsMetadata = silentHandlers({
      check: (call, callback) => {
        seen = call.metadata.get('x-probe');
        callback(null, { status: 1 });
      },
    });
    await withServer(recordsMetadata, async (client) => {
      const metadata = new grpc.Metadata();
      metadata.set('x-probe', 'yes');
      assert.equal(await client.check('', { metadata }), 'SERVING');
      assert.deepEqual(seen, ['yes']);
    });
  });
});

describe('HealthClient: a closed client', () => {
  it('rejects Check, List and Watch with HealthRpcError CANCELLED, not a bare Error', async () => {
    const h = await startHealth();
    try {
      assert.equal(await h.client.check(''), 'SERVING');
      h.client.close();
      for (const [what, call] of [
        ['Check', () => h.client.check('')],
        ['List', () => h.client.list()],
        ['Watch', () => h.client.watch('').next()],
      ] as const) {
        const error = await failure(call());
        assert.equal(error.code, grpc.status.CANCELLED, what);
        assert.equal(error.method, what);
        assert.match(error.message, /CANCELLED: the client is closed/);
      }
    } finally {
      h.close();
    }
  });
});

describe('HealthClient.list: every name comes back', () => {
  it('lists services named "__proto__" and "constructor" like any other', async () => {
    const h = await startHealth({
      statuses: JSON.parse('{"__proto__": "NOT_SERVING", "constructor": "SERVING", "hasOwnProperty": "NOT_SERVING", "a.A": "SERVING"}'),
    });
    try {
      const listed = await h.client.list();
      assert.deepEqual(
        [...listed].sort(([a], [b]) => a.localeCompare(b)),
        [
          ['', 'SERVING'],
          ['__proto__', 'NOT_SERVING'],
          ['a.A', 'SERVING'],
          ['constructor', 'SERVING'],
          ['hasOwnProperty', 'NOT_SERVING'],
        ],
      );
      // The raw client decodes the same way: own entries of an object without a prototype.
      const reply = await new Promise<{ statuses: Record<string, { status: number }> }>((resolve, reject) =>
        h.client.raw.list({}, (error, value) => (error ? reject(error) : resolve(value!))),
      );
      assert.equal(Object.getPrototypeOf(reply.statuses), null);
      assert.deepEqual(Object.keys(reply.statuses).sort(), ['', '__proto__', 'a.A', 'constructor', 'hasOwnProperty']);
      assert.equal(reply.statuses['__proto__']!.status, 2);
    } finally {
      h.close();
    }
  });
});
