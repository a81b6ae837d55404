/**
 * Deterministic unit tests of the wrapper, the shared checks and the policy,
 * against mock subchannels and a fake Watch: no network, no timers.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connectivityState as ConnectivityState, experimental } from '@grpc/grpc-js';
import { backendHealth, HealthCheckLoadBalancer, onBackendHealthChange } from '../../src/balancer/health-check-load-balancer.js';
import { HealthCheckingSubchannel } from '../../src/balancer/health-checking-subchannel.js';
import { HealthArgumentError, HealthRpcError } from '../../src/errors.js';
import { BoundedKeySet } from '../../src/balancer/backend-health.js';
import { HealthCheckLoadBalancingConfig } from '../../src/balancer/health-check-config.js';
import { HealthCheckRegistry } from '../../src/balancer/shared-health-check.js';
import { endpoints, type FakeWatch, fakeWatches, MOCK_TARGET, MockHelper, MockSubchannel } from './mock-subchannel.js';

const { READY, IDLE, CONNECTING, TRANSIENT_FAILURE } = ConnectivityState;
const serving = { type: 'status', status: 'SERVING' } as const;
const notServing = { type: 'status', status: 'NOT_SERVING' } as const;
const noEvents = { referenced() {}, destroyed() {} };

let fake: ReturnType<typeof fakeWatches>;
let registry: HealthCheckRegistry;
beforeEach(() => {
  fake = fakeWatches();
  registry = new HealthCheckRegistry(fake.start);
});

function wrap(subchannel: MockSubchannel, service = 's'): HealthCheckingSubchannel {
  return new HealthCheckingSubchannel(subchannel, service, undefined, registry, noEvents);
}

function only(watches: FakeWatch[]): FakeWatch {
  assert.equal(watches.length, 1, `expected one open Watch, got ${watches.length}`);
  return watches[0]!;
}

describe('HealthCheckingSubchannel', () => {
  it('reports CONNECTING until the first answer, then READY; health follows the status', () => {
    const wrapper = wrap(new MockSubchannel('a:1', READY));
    assert.equal(fake.started.length, 0, 'no Watch before grpc-js refs the wrapper');
    wrapper.ref();
    const watch = only(fake.open());
    assert.equal(watch.service, 's');
    assert.equal(wrapper.getConnectivityState(), CONNECTING);
    watch.send(serving);
    assert.equal(wrapper.getConnectivityState(), READY);
    assert.equal(wrapper.isHealthy(), true);
    watch.send(notServing);
    assert.equal(wrapper.isHealthy(), false);
    assert.equal(wrapper.getHealth().state, 'NOT_SERVING');
    assert.equal(wrapper.getHealth().target, MOCK_TARGET);
    watch.send({ type: 'unimplemented', error: new HealthRpcError('Watch', grpc.status.UNIMPLEMENTED, 'no', 's', undefined) });
    assert.equal(wrapper.isHealthy(), true);
    assert.equal(wrapper.getHealth().state, 'UNIMPLEMENTED');
  });

  it('stops the Watch when its subchannel leaves READY, and opens none until READY again', () => {
    const subchannel = new MockSubchannel('a:1', READY);
    const wrapper = wrap(subchannel);
    wrapper.ref();
    only(fake.open()).send(serving);
    subchannel.setState(IDLE);
    assert.deepEqual(fake.open(), []);
    assert.equal(wrapper.getConnectivityState(), IDLE);
    assert.equal(wrapper.getHealth().state, 'IDLE');
    subchannel.setState(CONNECTING);
    assert.deepEqual(fake.open(), []);
    subchannel.setState(READY);
    assert.equal(fake.started.length, 2);
    assert.equal(wrapper.getConnectivityState(), CONNECTING, 'a new READY period waits for its own first answer');
  });

  it('shares one Watch per (connection, service) among wrappers; the last release stops it', () => {
    const subchannel = new MockSubchannel('a:1', READY);
    const first = wrap(subchannel);
    const second = wrap(subchannel);
    const other = wrap(subchannel, 'other');
    first.ref();
    second.ref();
    other.ref();
    assert.deepEqual(
      fake
        .open()
        .map((w) => w.service)
        .sort(),
      ['other', 's'],
    );
    assert.equal(registry.size, 2);
    first.unref();
    assert.equal(fake.open().length, 2, 'still held by the second wrapper');
    second.unref();
    other.unref();
    assert.deepEqual(fake.open(), []);
    assert.equal(registry.size, 0);
    assert.equal(subchannel.listenerCount, 0, 'nothing left listening on the connection');
  });

  it('a wrapper for a checked connection starts READY and healthy; the hand-over opens no Watch', () => {
    const subchannel = new MockSubchannel('a:1', READY);
    const old = wrap(subchannel);
    old.ref();
    only(fake.open()).send(notServing);
    const rebuilt = wrap(subchannel);
    assert.equal(rebuilt.getConnectivityState(), READY);
    assert.equal(rebuilt.isHealthy(), false);
    rebuilt.ref(); // grpc-js refs the new subchannel before it unrefs the old one
    old.unref();
    assert.equal(fake.started.length, 1);
    only(fake.open()).send(serving);
    assert.equal(rebuilt.isHealthy(), true);
  });

  it('holds nothing when never referenced, and moves to a new service name', () => {
    const subchannel = new MockSubchannel('a:1', READY);
    wrap(subchannel); // pick_first may create wrappers it never refs
    assert.equal(registry.size, 0);
    const wrapper = wrap(subchannel);
    wrapper.ref();
    wrapper.setServiceName('t');
    assert.deepEqual(
      fake.open().map((w) => w.service),
      ['t'],
    );
    assert.equal(registry.size, 1);
  });
});

function policy(helper: MockHelper, config: object): HealthCheckLoadBalancer {
  const lb = new HealthCheckLoadBalancer(helper, registry);
  lb.updateAddressList(endpoints(1, 2, 3), HealthCheckLoadBalancingConfig.createFromJson(config), {}, '');
  return lb;
}

function answerAll(statuses: Record<string, 'SERVING' | 'NOT_SERVING'>): void {
  for (const watch of fake.open()) watch.send({ type: 'status', status: statuses[watch.address] ?? 'SERVING' });
}

describe('HealthCheckLoadBalancer', () => {
  let logged: string[];
  beforeEach(() => {
    logged = [];
    grpc.setLogger({ error: (...args: unknown[]) => logged.push(args.join(' ')), info() {}, debug() {} } as unknown as Console);
  });
  afterEach(() => grpc.setLogger(console));

  it('hands the parent its own subchannels, and round_robin picks only SERVING backends', () => {
    const helper = new MockHelper();
    const lb = policy(helper, { serviceName: 's' });
    try {
      assert.equal(helper.state, CONNECTING, 'queues until the first answers');
      answerAll({ '127.0.0.1:2': 'NOT_SERVING' });
      assert.equal(helper.state, READY);
      for (let i = 0; i < 6; i++) {
        const { subchannel } = helper.picker!.pick({ metadata: new grpc.Metadata(), extraPickInfo: {} });
        assert.ok(subchannel instanceof MockSubchannel, `picked ${subchannel?.constructor.name}, not the parent's subchannel`);
      }
      assert.deepEqual([...new Set(helper.picks(6))].sort(), ['127.0.0.1:1', '127.0.0.1:3']);
      assert.deepEqual(
        backendHealth(MOCK_TARGET)
          .map((h) => `${h.address} ${h.state}`)
          .sort(),
        ['127.0.0.1:1 SERVING', '127.0.0.1:2 NOT_SERVING', '127.0.0.1:3 SERVING'],
      );
    } finally {
      lb.destroy();
    }
    assert.deepEqual(fake.open(), []);
    assert.equal(registry.size, 0);
  });

  it('on resolver updates opens no Watch and never reports a moment without a healthy backend', () => {
    const helper = new MockHelper();
    const lb = policy(helper, { serviceName: 's' });
    answerAll({});
    const states: ConnectivityState[] = [];
    const report = helper.updateState.bind(helper);
    helper.updateState = (state, picker) => {
      states.push(state);
      report(state, picker);
    };
    const config = HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 's' });
    for (let i = 0; i < 5; i++) lb.updateAddressList(endpoints(1, 2, 3), config, {}, '');
    lb.updateAddressList(endpoints(2, 3), config, {}, '');
    assert.equal(fake.started.length, 3);
    assert.equal(fake.open().length, 2, 'the removed backend lost its Watch');
    assert.ok(
      states.every((s) => s === READY),
      `states: ${states.map((s) => ConnectivityState[s])}`,
    );
    assert.deepEqual([...new Set(helper.picks(4))].sort(), ['127.0.0.1:2', '127.0.0.1:3']);
    lb.destroy();
  });

  it('fails picks with UNAVAILABLE naming each backend when none is healthy', () => {
    const helper = new MockHelper();
    const lb = policy(helper, { serviceName: 's' });
    answerAll({ '127.0.0.1:1': 'NOT_SERVING', '127.0.0.1:2': 'NOT_SERVING', '127.0.0.1:3': 'NOT_SERVING' });
    assert.equal(helper.state, TRANSIENT_FAILURE);
    const result = helper.picker!.pick({ metadata: new grpc.Metadata(), extraPickInfo: {} });
    assert.equal(result.pickResultType, experimental.PickResultType.TRANSIENT_FAILURE);
    assert.match(result.status!.details, /no healthy backend for service "s": /);
    for (const port of [1, 2, 3]) assert.match(result.status!.details, new RegExp(`127\\.0\\.0\\.1:${port} NOT_SERVING`));
    lb.destroy();
  });

  it('with pick_first as the child, checks nothing and warns once per channel, naming the fix', () => {
    const helper = new MockHelper();
    const lb = policy(helper, { serviceName: 's', childPolicy: [{ pick_first: {} }] });
    lb.updateAddressList(
      endpoints(1, 2),
      HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 's', childPolicy: [{ pick_first: {} }] }),
      {},
      '',
    );
    assert.equal(fake.started.length, 0);
    assert.equal(logged.length, 1, logged.join('\n'));
    assert.match(logged[0]!, /health checking is OFF for channel mock:\/\/\/backends: its child policy is pick_first/);
    assert.match(logged[0]!, /round_robin/);
    lb.destroy();
    const second = policy(new MockHelper(), { serviceName: 's', childPolicy: [{ pick_first: {} }] });
    assert.equal(logged.length, 2, 'one warning per channel');
    second.destroy();
  });

  it('survives a throwing onBackendHealthChange listener: reported once, the others still called', () => {
    const heard: string[] = [];
    const offs = [
      onBackendHealthChange(() => {
        throw new Error('listener bug');
      }),
      onBackendHealthChange((h) => heard.push(`${h.address} ${h.state}`)),
    ];
    try {
      const helper = new MockHelper();
      const lb = policy(helper, { serviceName: 's' });
      answerAll({ '127.0.0.1:2': 'NOT_SERVING' });
      assert.ok(heard.includes('127.0.0.1:2 NOT_SERVING'), heard.join(', '));
      const reports = logged.filter((line) => line.includes('listener threw: listener bug'));
      assert.equal(reports.length, 1, logged.join('\n'));
      lb.destroy();
    } finally {
      for (const off of offs) off();
    }
  });

  it('survives a listener throwing something that cannot be shown (no toString)', () => {
    const heard: string[] = [];
    const offs = [
      onBackendHealthChange(() => {
        throw Object.create(null);
      }),
      onBackendHealthChange((h) => heard.push(`${h.address} ${h.state}`)),
    ];
    try {
      const lb = policy(new MockHelper(), { serviceName: 's' });
      answerAll({ '127.0.0.1:2': 'NOT_SERVING' });
      assert.ok(heard.includes('127.0.0.1:2 NOT_SERVING'), heard.join(', '));
      assert.ok(
        logged.some((line) => line.includes('listener threw: an error that cannot be shown')),
        logged.join('\n'),
      );
      lb.destroy();
    } finally {
      for (const off of offs) off();
    }
  });
});

describe('health events: one per change of a shared check', () => {
  let heard: string[];
  let off: () => void;
  beforeEach(() => {
    heard = [];
    off = onBackendHealthChange((h) => heard.push(`${h.address} ${h.state}`));
  });
  afterEach(() => off());

  it('identical resolver updates with health unchanged fire no event', () => {
    const helper = new MockHelper();
    const lb = policy(helper, { serviceName: 's' });
    try {
      answerAll({ '127.0.0.1:2': 'NOT_SERVING' });
      assert.equal(heard.length, 6, `each new backend's first state and its answer: ${heard.join(', ')}`);
      heard.length = 0;
      const config = HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 's' });
      for (let i = 0; i < 50; i++) lb.updateAddressList(endpoints(1, 2, 3), config, {}, '');
      assert.deepEqual(heard, []);
      assert.equal(fake.started.length, 3, 'and no new Watch');
    } finally {
      lb.destroy();
    }
  });

  it('two channels on one connection: one change is one event, and backendHealth() lists each backend once', () => {
    const helper = new MockHelper(); // one MockSubchannel per address: the channels share connections
    const first = policy(helper, { serviceName: 's' });
    const second = policy(helper, { serviceName: 's' });
    try {
      assert.equal(fake.started.length, 3, 'one Watch per connection');
      answerAll({});
      heard.length = 0;
      only(fake.open().filter((w) => w.address === '127.0.0.1:2')).send(notServing);
      assert.deepEqual(heard, ['127.0.0.1:2 NOT_SERVING']);
      assert.deepEqual(
        backendHealth(MOCK_TARGET)
          .map((h) => `${h.address} ${h.state}`)
          .sort(),
        ['127.0.0.1:1 SERVING', '127.0.0.1:2 NOT_SERVING', '127.0.0.1:3 SERVING'],
      );
      assert.equal(first.getBackendHealth().length, 3);
      second.destroy();
      assert.equal(backendHealth(MOCK_TARGET).length, 3, 'still held by the first channel');
    } finally {
      first.destroy();
      second.destroy();
    }
    assert.deepEqual(backendHealth(MOCK_TARGET), []);
  });
});

describe('backoff of running checks', () => {
  it('a new config backoff reaches the running shared checks; new wrappers do not undo it', () => {
    const helper = new MockHelper();
    const lb = policy(helper, { serviceName: 's', backoff: { initialMs: 100 } });
    try {
      assert.deepEqual(
        fake.open().map((w) => w.backoff),
        [{ initialMs: 100 }, { initialMs: 100 }, { initialMs: 100 }],
      );
      const next = HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 's', backoff: { initialMs: 5000, jitter: 0 } });
      lb.updateAddressList(endpoints(1, 2, 3), next, {}, '');
      assert.equal(fake.started.length, 3, 'the same Watches');
      assert.deepEqual(
        fake.open().map((w) => w.backoff),
        [
          { initialMs: 5000, jitter: 0 },
          { initialMs: 5000, jitter: 0 },
          { initialMs: 5000, jitter: 0 },
        ],
      );
      lb.updateAddressList(endpoints(1, 2, 3), HealthCheckLoadBalancingConfig.createFromJson({ serviceName: 's' }), {}, '');
      assert.deepEqual(
        fake.open().map((w) => w.backoff),
        [undefined, undefined, undefined],
        'a config without backoff: the defaults again',
      );
    } finally {
      lb.destroy();
    }
  });

  it('a check that is not watching (connection not READY) starts with the newest backoff', () => {
    const subchannel = new MockSubchannel('a:1', IDLE);
    const wrapper = wrap(subchannel);
    wrapper.ref();
    wrapper.setBackoff({ initialMs: 42 });
    subchannel.setState(READY);
    assert.deepEqual(only(fake.open()).backoff, { initialMs: 42 });
  });
});

describe('argument checks', () => {
  it('rejects a bad channel selector and a listener that is not a function', () => {
    assert.throws(() => backendHealth({} as never), HealthArgumentError);
    assert.throws(() => onBackendHealthChange('x' as never), HealthArgumentError);
  });
});

describe('BoundedKeySet', () => {
  it('remembers at most its limit, forgetting the oldest', () => {
    const set = new BoundedKeySet(2);
    assert.equal(set.add('a'), true);
    assert.equal(set.add('a'), false);
    set.add('b');
    set.add('c');
    assert.equal(set.size, 2);
    assert.equal(set.add('a'), true, 'a was forgotten');
  });
});
