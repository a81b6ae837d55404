/**
 * The grpc-js behaviours listed in src/balancer/grpc-js-compat.ts, one test each:
 * a grpc-js release that changes one fails here first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connectivityState as ConnectivityState, experimental } from '@grpc/grpc-js';
import { GeneratedHealthClient, healthCheckChannelOptions } from '../../src/index.js';
import { callStartFailure, cancelForGood, connectionChannel, EXPERIMENTAL_EXPORTS_USED } from '../../src/balancer/grpc-js-compat.js';
import { startOversizedTrailersServer } from '../client/oversized-trailers-server.js';
import { startBackends, who, WhoClient } from '../backends.js';
import { startServer, until, within } from '../helpers.js';
import { endpoints, MockHelper } from './mock-subchannel.js';
import { WRAPPING_POLICY_NAME, wrappedSubchannels } from './wrapping-policy.js';

const identity = (value: Buffer): Buffer => value;
const STREAM_SERVICE = {
  stream: {
    path: '/test.Compat/Stream',
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies grpc.ServiceDefinition;
const StreamClient = grpc.makeGenericClientConstructor(STREAM_SERVICE, 'Compat');

describe('grpc-js compatibility', { timeout: 15_000 }, () => {
  it('8. has every experimental export the package uses', () => {
    for (const name of EXPERIMENTAL_EXPORTS_USED) {
      assert.equal(typeof (experimental as Record<string, unknown>)[name], 'function', name);
    }
  });

  it("2. a server call emits 'cancelled' when it ends normally, with an error, or by the client", async () => {
    const endings: string[] = [];
    const server = await startServer((s) =>
      s.addService(STREAM_SERVICE, {
        stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          const how = call.request.toString();
          call.on('cancelled', () => endings.push(how));
          if (how === 'end') call.end();
          else if (how === 'error') call.emit('error', { code: grpc.status.INTERNAL, details: 'x' });
          else call.write(Buffer.from('hi'));
        },
      }),
    );
    const client = new StreamClient(server.address, grpc.credentials.createInsecure());
    try {
      for (const how of ['end', 'error', 'cancel']) {
        const call = client.makeServerStreamRequest(STREAM_SERVICE.stream.path, identity, identity, Buffer.from(how));
        call.on('error', () => {});
        if (how === 'cancel') call.once('data', () => call.cancel());
        await within(new Promise((resolve) => call.on('status', resolve)), 3000, `the ${how} call to end`);
        await until(() => endings.includes(how), 3000, `'cancelled' after ${how}`);
      }
      assert.deepEqual(endings, ['end', 'error', 'cancel']);
    } finally {
      client.close();
      server.stop();
    }
  });

  it("3. round_robin's leaf pick_first honours isHealthy(); 7. it creates subchannels inside updateAddressList, dropping the old ones first", () => {
    const helper = new MockHelper();
    const rr = new experimental.ChildLoadBalancerHandler(helper);
    const config = experimental.parseLoadBalancingConfig({ round_robin: {} });
    rr.updateAddressList(endpoints(1, 2), config, {}, '');
    assert.equal(helper.created.length, 2, 'subchannels created synchronously');
    assert.deepEqual([...new Set(helper.picks(4))].sort(), ['127.0.0.1:1', '127.0.0.1:2']);
    helper.subchannels.get('127.0.0.1:1')!.setHealthy(false);
    assert.deepEqual([...new Set(helper.picks(4))], ['127.0.0.1:2']);
    const refs = helper.subchannels.get('127.0.0.1:2')!;
    const refsBefore = refs.refs;
    let lowest = refsBefore;
    const unref = refs.unref.bind(refs);
    refs.unref = () => {
      unref();
      lowest = Math.min(lowest, refs.refs);
    };
    rr.updateAddressList(endpoints(1, 2), config, {}, '');
    assert.equal(helper.created.length, 4);
    assert.ok(lowest < refsBefore, 'round_robin let go of the old subchannel before it took the new one');
    rr.destroy();
  });

  it('3. a top-level pick_first ignores isHealthy()', () => {
    const helper = new MockHelper();
    const pf = new experimental.ChildLoadBalancerHandler(helper);
    pf.updateAddressList(endpoints(1), experimental.parseLoadBalancingConfig({ pick_first: {} }), {}, '');
    helper.subchannels.get('127.0.0.1:1')!.setHealthy(false);
    assert.deepEqual(helper.picks(1), ['127.0.0.1:1']);
    pf.destroy();
  });

  it("5. a subchannel's getChannel() carries the channel's target and runs calls on that connection; 1. cancelForGood ends a call cancelled while starting", async () => {
    const [backend] = await startBackends(1);
    const health = backend!.health;
    const client = new WhoClient(`ipv4:${backend!.address}`, grpc.credentials.createInsecure(), {
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ [WRAPPING_POLICY_NAME]: { childPolicy: [{ round_robin: {} }] } }] }),
      'grpc.use_local_subchannel_pool': 1,
    });
    try {
      wrappedSubchannels.length = 0;
      await who(client);
      const subchannel = wrappedSubchannels.find((s) => s.getConnectivityState() === ConnectivityState.READY)!;
      const channel = connectionChannel(subchannel);
      assert.equal(channel.getTarget(), client.getChannel().getTarget());
      const watcher = new GeneratedHealthClient('unused', undefined as unknown as grpc.ChannelCredentials, { channelOverride: channel });
      for (let i = 0; i < 20; i++) {
        const call = watcher.watch({ service: '' });
        call.on('error', () => {});
        cancelForGood(call);
      }
      const kept = watcher.watch({ service: '' });
      kept.on('error', () => {});
      await within(new Promise((resolve) => kept.once('data', resolve)), 3000, 'a Watch on the connection');
      assert.deepEqual([...backend!.peers.get('/grpc.health.v1.Health/Watch')!], [...backend!.peers.get('/test.Backend/Who')!]);
      cancelForGood(kept);
      await until(() => health.watcherCount() === 0, 3000, 'every cancelled Watch to end on the server');
    } finally {
      client.close();
      backend!.stop();
    }
  });

  it('10. waitForReady: a methodConfig.waitForReady is ignored; metadata.setOptions({ waitForReady: true }) queues the call', async () => {
    const [backend] = await startBackends(1);
    backend!.health.setStatus('svc', 'NOT_SERVING');
    const client = new WhoClient(`ipv4:${backend!.address}`, grpc.credentials.createInsecure(), {
      ...healthCheckChannelOptions({
        loadBalancingConfig: [{ round_robin: {} }],
        healthCheckConfig: { serviceName: 'svc' },
        methodConfig: [{ name: [{ service: 'test.Backend' }], waitForReady: true }],
      }),
      'grpc.use_local_subchannel_pool': 1,
    });
    const call = (metadata: grpc.Metadata) =>
      new Promise<string>((resolve, reject) =>
        client.who(Buffer.alloc(0), metadata, { deadline: Date.now() + 5000 }, (error, reply) =>
          error ? reject(error) : resolve(reply!.toString()),
        ),
      );
    try {
      const error = (await call(new grpc.Metadata()).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      assert.equal(error.code, grpc.status.UNAVAILABLE, 'methodConfig.waitForReady did not make the call wait');
      const waiting = new grpc.Metadata();
      waiting.setOptions({ waitForReady: true });
      const queued = call(waiting);
      setTimeout(() => backend!.health.setStatus('svc', 'SERVING'), 100);
      assert.equal(await queued, 'b0');
    } finally {
      client.close();
      backend!.stop();
    }
  });

  it('9. a CommonJS module imported from ESM is in require.cache', async () => {
    const { createRequire } = await import('node:module');
    const cache = createRequire(import.meta.url).cache;
    assert.ok(Object.keys(cache).some((file) => file.endsWith('/@grpc/grpc-js/build/src/index.js')));
  });

  it('11. a call on a closed client throws synchronously, with no code, and the channel reports SHUTDOWN', () => {
    const client = new GeneratedHealthClient('127.0.0.1:1', grpc.credentials.createInsecure());
    client.close();
    let thrown: unknown;
    try {
      client.check({ service: '' }, () => assert.fail('no callback expected'));
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof Error && /Channel has been shut down/.test(thrown.message), String(thrown));
    assert.equal((thrown as { code?: unknown }).code, undefined);
    assert.throws(() => client.watch({ service: '' }), /Channel has been shut down/);
    assert.equal(client.getChannel().getConnectivityState(false), ConnectivityState.SHUTDOWN);
    assert.deepEqual(callStartFailure(client, thrown), { code: grpc.status.CANCELLED, details: 'the client is closed', closed: true });
  });

  it("12. a client stream emits 'error' just before 'status', and 'status' before 'end' and 'close'", async () => {
    const server = await startServer((s) =>
      s.addService(STREAM_SERVICE, {
        stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          call.write(Buffer.from('hi'));
          if (call.request.toString() === 'error') call.emit('error', { code: grpc.status.INTERNAL, details: 'x' });
          else call.end();
        },
      }),
    );
    const client = new StreamClient(server.address, grpc.credentials.createInsecure());
    try {
      for (const how of ['end', 'error']) {
        const events: string[] = [];
        const call = client.makeServerStreamRequest(STREAM_SERVICE.stream.path, identity, identity, Buffer.from(how));
        for (const name of ['data', 'error', 'status', 'end', 'close']) call.on(name, () => events.push(name));
        await within(new Promise((resolve) => call.on('close', resolve)), 3000, `the ${how} call to close`);
        assert.deepEqual(events, how === 'end' ? ['data', 'status', 'end', 'close'] : ['data', 'error', 'status', 'end', 'close']);
      }
    } finally {
      client.close();
      server.stop();
    }
  });

  it('13. trailers over the header limit: the call ends INTERNAL (Node >= 22), or only by keepalive (Node 20)', async () => {
    const server = await startOversizedTrailersServer();
    const client = new GeneratedHealthClient(server.address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.keepalive_time_ms': 500,
      'grpc.keepalive_timeout_ms': 500,
    });
    try {
      const call = client.watch({ service: '' });
      call.on('error', () => {});
      const status = await within(new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve)), 10_000, 'the call to end');
      const node20 = Number(process.versions.node.split('.')[0]) < 22;
      assert.equal(status.code, node20 ? grpc.status.UNAVAILABLE : grpc.status.INTERNAL, status.details);
    } finally {
      client.close();
      server.close();
    }
  });
});
