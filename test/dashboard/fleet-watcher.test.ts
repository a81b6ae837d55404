import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthArgumentError, HealthClient, HealthService, type HealthServiceHandlers } from '../../src/index.js';
import { fleetMetricsText } from '../../src/dashboard/fleet-metrics.js';
import { FleetWatcher } from '../../src/dashboard/fleet-watcher.js';
import type { FleetTarget } from '../../src/dashboard/fleet-state.js';
import { parseTarget, type Target } from '../../src/dashboard/targets.js';
import { startServer, until } from '../helpers.js';
import { startFleet } from './fleet-backends.js';

const clientFor = ({ address }: { address: string }) =>
  new HealthClient(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
const QUICK = { initialMs: 20, multiplier: 1.6, jitter: 0, maxMs: 100 };

describe('FleetWatcher', { timeout: 20_000 }, () => {
  const cleanup: (() => void)[] = [];
  after(() => cleanup.forEach((stop) => stop()));

  it('watches every address of a name, follows status changes and re-resolution', async () => {
    const fleet = await startFleet(['127.0.0.2', '127.0.0.3'], (health) => health.setStatus('svc', 'SERVING'));
    cleanup.push(fleet.stop);
    let addresses = ['127.0.0.2', '127.0.0.3'];
    const watcher = new FleetWatcher({
      targets: [parseTarget(`dns:///fleet.test:${fleet.port}`)],
      services: ['', 'svc'],
      clientFor,
      lookup: async () => addresses,
      resolveIntervalMs: 30,
      rttIntervalMs: 30,
      backoff: QUICK,
    });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    const [first, second] = fleet.backends;
    const cell = (backend: string, service: string) => watcher.state.backend(backend)?.cells[service];
    assert.deepEqual(watcher.state.addresses().sort(), [first!.address, second!.address]);
    await until(() => watcher.state.counts().SERVING === 4, 5000, 'four SERVING cells');

    first!.health.setStatus('svc', 'NOT_SERVING');
    await until(() => cell(first!.address, 'svc')?.status === 'NOT_SERVING', 5000, 'NOT_SERVING on the first backend');
    assert.equal(cell(second!.address, 'svc')?.status, 'SERVING');
    assert.deepEqual(watcher.state.backend(first!.address)!.timeline.at(-1), {
      at: cell(first!.address, 'svc')!.since,
      service: 'svc',
      from: 'SERVING',
      to: 'NOT_SERVING',
    });
    await until(() => typeof cell(second!.address, 'svc')?.rttMs === 'number', 5000, 'a round-trip time');

    addresses = ['127.0.0.3'];
    await until(() => watcher.state.addresses().length === 1, 5000, 'the dropped address to go');
    await until(() => first!.health.watcherCount() === 0, 5000, 'the dropped backend to have no Watch left');
    assert.equal(second!.health.watcherCount(), 2);

    watcher.stop();
    await until(() => second!.health.watcherCount() === 0, 5000, 'every Watch to end after stop()');
  });

  it('spreads the first round-trip Checks over the interval instead of sending them all at start', async () => {
    const fleet = await startFleet(['127.0.0.2', '127.0.0.3', '127.0.0.4'], (health) => health.setStatus('', 'SERVING'));
    cleanup.push(fleet.stop);
    let checks = 0;
    const counting = (backend: { address: string }) => {
      const client = clientFor(backend);
      const check = client.check.bind(client);
      client.check = (...args: Parameters<HealthClient['check']>) => {
        checks += 1;
        return check(...args);
      };
      return client;
    };
    // Every random draw in the middle: the first Check of each backend half an interval in.
    const random = Math.random;
    Math.random = () => 0.5;
    const watcher = new FleetWatcher({
      targets: [parseTarget(`dns:///fleet.test:${fleet.port}`)],
      clientFor: counting,
      lookup: async () => ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      rttIntervalMs: 60_000,
      backoff: QUICK,
    });
    cleanup.push(() => watcher.stop());
    try {
      await watcher.start();
      await until(() => watcher.state.counts().SERVING === 3, 5000, 'three SERVING backends');
    } finally {
      Math.random = random;
    }
    assert.equal(checks, 0, 'no Check yet: thousands of backends starting together must not burst');
    watcher.stop();
  });

  it('keeps the last good addresses, counters and timelines while a name fails to resolve, and says why', async () => {
    const fleet = await startFleet(['127.0.0.2', '127.0.0.3'], (health) => health.setStatus('', 'SERVING'));
    cleanup.push(fleet.stop);
    const text = `dns:///fleet.test:${fleet.port}`;
    let answer = async (): Promise<string[]> => ['127.0.0.2', '127.0.0.3'];
    let lookups = 0;
    const errors: FleetTarget[] = [];
    const watcher = new FleetWatcher({
      targets: [parseTarget(text)],
      clientFor,
      lookup: () => {
        lookups += 1;
        return answer();
      },
      resolveIntervalMs: 20,
      resolveBackoff: { initialMs: 10, maxMs: 20, jitter: 0 },
      rttIntervalMs: 0,
      backoff: QUICK,
      onTargetError: (target) => errors.push(target),
    });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    const [first] = fleet.backends;
    await until(() => watcher.state.counts().SERVING === 2, 5000, 'two SERVING backends');
    first!.health.setStatus('', 'NOT_SERVING');
    await until(() => watcher.state.backend(first!.address)?.cells['']?.status === 'NOT_SERVING', 5000, 'NOT_SERVING');
    const transitions = watcher.state.backend(first!.address)!.cells['']!.transitions;
    const timeline = watcher.state.backend(first!.address)!.timeline.length;

    answer = () => Promise.reject(new Error('getaddrinfo EAI_AGAIN fleet.test'));
    await until(() => watcher.state.target(text)?.error !== undefined, 5000, 'the resolver error on the target');
    const failedAt = lookups;
    await until(() => lookups >= failedAt + 3, 5000, 'resolution to be retried');
    const row = watcher.state.target(text)!;
    assert.equal(row.error, 'getaddrinfo EAI_AGAIN fleet.test');
    assert.deepEqual(row.addresses.sort(), [first!.address, fleet.backends[1]!.address]);
    assert.ok(row.lastResolvedAt !== undefined && row.nextAttemptAt !== undefined && row.nextAttemptAt > row.lastResolvedAt);
    assert.equal(watcher.state.addresses().length, 2, 'the backends are still watched');
    assert.equal(watcher.state.backend(first!.address)!.cells['']!.transitions, transitions, 'the counters go on');
    assert.equal(watcher.state.backend(first!.address)!.timeline.length, timeline, 'the timeline is kept');
    assert.equal(errors.length, 1, 'one report per error change, not per attempt');
    assert.equal(watcher.state.snapshot().targets.length, 1);

    answer = async () => [];
    await until(() => watcher.state.target(text)?.error === 'resolved to no address', 5000, 'an empty answer to be named');
    assert.equal(watcher.state.addresses().length, 2);

    answer = async () => ['127.0.0.2', '127.0.0.3'];
    await until(() => watcher.state.target(text)?.error === undefined, 5000, 'the name to resolve again');
    assert.deepEqual(
      errors.map((target) => target.error),
      ['getaddrinfo EAI_AGAIN fleet.test', 'resolved to no address', undefined],
    );
    assert.equal(watcher.state.backend(first!.address)!.cells['']!.transitions, transitions);
    watcher.stop();
  });

  it('shows a name that does not resolve and a line that is not a target as rows with their errors', async () => {
    const invalid: Target = { kind: 'invalid', text: '127.0.0.1:', error: 'targets file "f" line 1: not a target' };
    const watcher = new FleetWatcher({
      // The system resolver: .invalid never resolves (RFC 6761).
      targets: [parseTarget('dns:///no-such-host.invalid:50051'), invalid],
      clientFor,
      rttIntervalMs: 0,
    });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    const { targets, backends } = watcher.state.snapshot();
    assert.equal(backends.length, 0);
    assert.equal(targets.length, 2);
    const [name, line] = targets;
    assert.equal(name!.target, 'dns:///no-such-host.invalid:50051');
    assert.match(name!.error ?? '', /no-such-host\.invalid/);
    assert.deepEqual(name!.addresses, []);
    assert.equal(name!.lastResolvedAt, undefined);
    assert.ok(name!.nextAttemptAt! > Date.now() - 1000, 'it is tried again');
    assert.deepEqual(line, { target: '127.0.0.1:', addresses: [], error: 'targets file "f" line 1: not a target' });
    watcher.stop();
  });

  it('watches only its shard of the backends, each backend in exactly one shard', async () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 2}`);
    const watchers = [0, 1, 2].map(
      (index) =>
        new FleetWatcher({
          targets: [parseTarget('dns:///fleet.test:1')],
          clientFor,
          lookup: async () => hosts,
          rttIntervalMs: 0,
          shard: { index, count: 3 },
        }),
    );
    for (const watcher of watchers) cleanup.push(() => watcher.stop());
    await Promise.all(watchers.map((watcher) => watcher.start()));
    const owned = watchers.map((watcher) => watcher.state.addresses());
    assert.deepEqual(owned.flat().sort(), hosts.map((host) => `${host}:1`).sort(), 'every backend in one shard');
    assert.ok(
      owned.every((addresses) => addresses.length > 0 && addresses.length < hosts.length),
      owned.join(' | '),
    );
    assert.deepEqual(watchers[2]!.state.snapshot().shard, { index: 2, count: 3 });
    assert.equal(watchers[0]!.state.target('dns:///fleet.test:1')!.addresses.length, 12, 'the target row shows every address');
    for (const watcher of watchers) watcher.stop();
  });

  it('tells a server without a health service and a closed port apart', async () => {
    const bare = await startServer(() => {});
    cleanup.push(bare.stop);
    const watcher = new FleetWatcher({
      targets: [parseTarget(bare.address), parseTarget('127.0.0.1:1')],
      clientFor,
      rttIntervalMs: 0,
      backoff: QUICK,
    });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    const status = (address: string) => watcher.state.backend(address)?.cells['']?.status;
    await until(
      () => status(bare.address) === 'UNIMPLEMENTED' && status('127.0.0.1:1') === 'UNREACHABLE',
      5000,
      'UNIMPLEMENTED and UNREACHABLE',
    );
    assert.match(watcher.state.backend('127.0.0.1:1')!.cells['']!.detail ?? '', /ECONNREFUSED/);
    watcher.stop();
  });

  it('counts every failed Watch attempt, not the streak: three refused attempts count 3, exported as the balancer exports them', async () => {
    // The first three Watch attempts are refused (UNAVAILABLE), the fourth answers SERVING and stays open.
    let attempts = 0;
    const handlers: HealthServiceHandlers = {
      check: (_call, callback) => callback(null, { status: 1 }),
      list: (_call, callback) => callback(null, { statuses: {} }),
      watch: (call) => {
        attempts += 1;
        if (attempts <= 3) call.emit('error', { code: grpc.status.UNAVAILABLE, details: `refused ${attempts}` });
        else call.write({ status: 1 });
      },
    };
    const scripted = await startServer((server) => server.addService(HealthService, handlers));
    cleanup.push(scripted.stop);
    const watcher = new FleetWatcher({ targets: [parseTarget(scripted.address)], clientFor, rttIntervalMs: 0, backoff: QUICK });
    cleanup.push(() => watcher.stop());
    await watcher.start();
    const cell = () => watcher.state.backend(scripted.address)!.cells['']!;
    await until(() => cell().status === 'SERVING', 5000, 'SERVING after three refused attempts');
    assert.equal(attempts, 4);
    assert.equal(cell().watchFailures, 3, 'one per failed attempt');
    assert.equal(cell().transitions, 2, 'CONNECTING → UNREACHABLE → SERVING: the three failures are one streak');
    const labels = `target="${scripted.address}",address="${scripted.address}",service=""`;
    assert.match(
      fleetMetricsText(watcher.state.snapshot()),
      new RegExp(`^grpc_health_backend_watch_failures_total\\{${labels}\\} 3$`, 'm'),
    );
    watcher.stop();
  });

  it('validates its options and survives a failing client factory', async () => {
    assert.throws(() => new FleetWatcher({ targets: [], clientFor }), HealthArgumentError);
    assert.throws(() => new FleetWatcher({ targets: [parseTarget('127.0.0.1:1')], clientFor, rttIntervalMs: NaN }), HealthArgumentError);
    assert.throws(() => new FleetWatcher({ targets: [parseTarget('127.0.0.1:1')], clientFor, resolveIntervalMs: -1 }), HealthArgumentError);
    assert.throws(
      () => new FleetWatcher({ targets: [parseTarget('127.0.0.1:1')], clientFor, shard: { index: 2, count: 2 } }),
      HealthArgumentError,
    );
    assert.throws(
      () => new FleetWatcher({ targets: [parseTarget('127.0.0.1:1')], clientFor, resolveBackoff: { initialMs: 0 } }),
      HealthArgumentError,
    );
    const errors: unknown[] = [];
    const watcher = new FleetWatcher({
      targets: [parseTarget('127.0.0.1:1')],
      clientFor: () => {
        throw new Error('bad credentials');
      },
      onError: (error) => errors.push(error),
    });
    await watcher.start();
    assert.equal(watcher.state.backend('127.0.0.1:1')!.cells['']!.status, 'UNREACHABLE');
    assert.match(watcher.state.backend('127.0.0.1:1')!.cells['']!.detail!, /bad credentials/);
    assert.equal(errors.length, 1);
    watcher.stop();
  });
});
