/**
 * Two copies of @grpc/grpc-js in one process: the symptom (a channel of the copy
 * that lacks the policy sends RPCs to NOT_SERVING backends), the warning, and the fix.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { healthCheckChannelOptions } from '../../src/index.js';
import { unregisteredGrpcJsCopies } from '../../src/balancer/registration.js';
import { type Backend, ipv4Target, startBackends, WHO_SERVICE, type WhoClient } from '../backends.js';

const require = createRequire(import.meta.url);
let dir = '';
let copy: typeof grpc;
let backends: Backend[] = [];

/** Loads a second copy of grpc-js from a temp node_modules (its dependencies linked to ours). */
function loadSecondCopy(): typeof grpc {
  dir = mkdtempSync(join(tmpdir(), 'grpc-js-copy-'));
  const ownDir = dirname(require.resolve('@grpc/grpc-js/package.json'));
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '@grpc'), { recursive: true });
  mkdirSync(join(modules, '@js-sdsl'), { recursive: true });
  cpSync(ownDir, join(modules, '@grpc', 'grpc-js'), { recursive: true });
  symlinkSync(dirname(require.resolve('@grpc/proto-loader/package.json')), join(modules, '@grpc', 'proto-loader'));
  const sdsl = dirname(createRequire(join(ownDir, 'package.json')).resolve('@js-sdsl/ordered-map/package.json'));
  symlinkSync(sdsl, join(modules, '@js-sdsl', 'ordered-map'));
  return createRequire(join(dir, 'x.js'))('@grpc/grpc-js') as typeof grpc;
}

function copyClient(options: grpc.ChannelOptions): WhoClient {
  const Client = copy.makeGenericClientConstructor(WHO_SERVICE, 'Backend') as unknown as new (
    target: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ChannelOptions,
  ) => WhoClient;
  return new Client(ipv4Target(backends), copy.credentials.createInsecure(), { ...options, 'grpc.use_local_subchannel_pool': 1 });
}

/** `count` Who calls made with the copy's Metadata (grpc-js checks it with instanceof); counts per backend. */
async function spread(client: WhoClient, count: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const name = await new Promise<string>((resolve, reject) =>
      client.who(Buffer.alloc(0), new copy.Metadata(), { deadline: Date.now() + 3000 }, (error, reply) =>
        error ? reject(error) : resolve(reply!.toString()),
      ),
    );
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describe('a second copy of @grpc/grpc-js', { timeout: 20_000 }, () => {
  before(async () => {
    copy = loadSecondCopy();
    backends = await startBackends(2);
    backends[0]!.health.setStatus('svc', 'NOT_SERVING');
    backends[1]!.health.setStatus('svc', 'SERVING');
  });
  after(() => {
    for (const backend of backends) backend.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is detected and named in one warning; without the fix its channels send to NOT_SERVING backends', async () => {
    assert.deepEqual(unregisteredGrpcJsCopies(), [join(dir, 'node_modules', '@grpc', 'grpc-js')]);
    const logged: string[] = [];
    grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info() {}, debug() {} } as unknown as Console);
    let options: grpc.ChannelOptions;
    try {
      options = healthCheckChannelOptions('svc');
      healthCheckChannelOptions('svc');
    } finally {
      grpc.setLogger(console);
    }
    const warnings = logged.filter((line) => line.includes('another copy of @grpc/grpc-js is loaded'));
    assert.equal(warnings.length, 1, logged.join('\n'));
    assert.ok(warnings[0]!.includes(dir), warnings[0]);
    assert.match(warnings[0]!, /registerHealthCheckLoadBalancer\(grpc\)/);

    const client = copyClient(options);
    try {
      const counts = await spread(client, 20);
      assert.ok((counts.b0 ?? 0) > 0, `the symptom: ${JSON.stringify(counts)}`);
    } finally {
      client.close();
    }
  });

  it('is fixed by handing the module in: healthCheckChannelOptions(config, { grpc })', async () => {
    const client = copyClient(healthCheckChannelOptions('svc', { grpc: copy }));
    try {
      assert.deepEqual(await spread(client, 20), { b1: 20 });
      assert.deepEqual(unregisteredGrpcJsCopies(), []);
    } finally {
      client.close();
    }
  });
});
