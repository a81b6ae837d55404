import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthArgumentError, HealthClient } from '../../src/index.js';
import { FleetWatcher } from '../../src/dashboard/fleet-watcher.js';
import { parseTarget } from '../../src/dashboard/targets.js';
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

  it('validates its options and survives a failing client factory', async () => {
    assert.throws(() => new FleetWatcher({ targets: [], clientFor }), HealthArgumentError);
    assert.throws(() => new FleetWatcher({ targets: [parseTarget('127.0.0.1:1')], clientFor, rttIntervalMs: NaN }), HealthArgumentError);
    assert.throws(() => new FleetWatcher({ targets: [parseTarget('127.0.0.1:1')], clientFor, resolveIntervalMs: -1 }), HealthArgumentError);
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
