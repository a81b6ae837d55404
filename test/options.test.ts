/**
 * Careless use gets a clear error: every public options object refuses a key it
 * does not know with a HealthArgumentError naming the key and the known ones.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import {
  DependencyChecks,
  gracefulShutdown,
  grpcCheck,
  HealthArgumentError,
  HealthClient,
  healthHttpHandler,
  HealthServer,
  httpCheck,
  startHealthHttp,
} from '../src/index.js';
import { registerHealthInstruments } from '../src/metrics/opentelemetry.js';
import { registerHealthMetrics } from '../src/metrics/prometheus.js';
import { HealthKit, HealthKitModule } from '../src/nestjs/index.js';
import { checkOptions } from '../src/options.js';

/** Asserts a HealthArgumentError naming `key` as unknown, and listing `known`. */
function unknownOption(key: string, known: string[]): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof HealthArgumentError, `not a HealthArgumentError: ${String(error)}`);
    assert.match(error.message, new RegExp(`unknown option "${key.replace(/[.]/g, '\\.')}"`));
    for (const name of known) assert.ok(error.message.includes(name), `${name} is not listed: ${error.message}`);
    return true;
  };
}

describe('checkOptions', () => {
  it('names the unknown key, suggests a near one, lists the known ones', () => {
    assert.throws(
      () => checkOptions('X options', { status: {} }, ['statuses', 'maxListedServices']),
      /^HealthArgumentError: X options: unknown option "status" \(did you mean "statuses"\?\); known: statuses, maxListedServices$/,
    );
    assert.throws(() => checkOptions('X options', { zzz: 1 }, ['statuses']), /unknown option "zzz"; known: statuses$/);
    assert.deepEqual(checkOptions('X options', undefined, ['a']), {});
    for (const bad of [null, 5, 'a', []]) assert.throws(() => checkOptions('X options', bad, ['a']), /X options must be an object/);
  });
});

describe('every public options object refuses unknown keys', () => {
  const health = new HealthServer();
  const server = new grpc.Server();
  const calls: [string, () => unknown, string, string[]][] = [
    ['new HealthServer', () => new HealthServer({ status: { a: 'SERVING' } } as never), 'status', ['statuses', 'maxListedServices']],
    ['HealthServer.watch', () => health.watch('', { signl: undefined } as never), 'signl', ['signal']],
    ['healthHttpHandler', () => healthHttpHandler(health, { check: undefined } as never), 'check', ['checks']],
    ['new DependencyChecks (defaults)', () => new DependencyChecks(health, { interval: 5 } as never), 'interval', ['intervalMs']],
    [
      'DependencyChecks.add',
      () => new DependencyChecks(health).add('db', () => true, { service: ['a'] } as never),
      'service',
      ['services'],
    ],
    ['gracefulShutdown', () => gracefulShutdown(server, health, { drain: 10 } as never), 'drain', ['drainMs', 'timeoutMs']],
    ['grpcCheck', () => grpcCheck('127.0.0.1:1', '', { credential: undefined } as never), 'credential', ['credentials']],
    ['httpCheck', () => httpCheck('http://127.0.0.1:1/', { ok: () => true } as never), 'ok', ['okStatuses']],
    [
      'new HealthClient',
      () => new HealthClient('127.0.0.1:1', grpc.credentials.createInsecure(), { timeout: 5 } as never),
      'timeout',
      ['timeoutMs'],
    ],
    [
      'registerHealthMetrics options',
      () => registerHealthMetrics(new Registry(), { health }, { prefx: 'a_' } as never),
      'prefx',
      ['prefix'],
    ],
    [
      'registerHealthMetrics sources',
      () => registerHealthMetrics(new Registry(), { helth: health } as never),
      'helth',
      ['health', 'checks'],
    ],
    [
      'registerHealthInstruments sources',
      () => registerHealthInstruments(new MeterProvider().getMeter('m'), { health, balancr: true } as never),
      'balancr',
      ['balancer'],
    ],
    ['HealthKitModule.forRoot', () => HealthKitModule.forRoot({ drainMS: 10 } as never), 'drainMS', ['drainMs', 'statuses']],
    [
      'HealthKitModule.forRoot checks',
      () => HealthKitModule.forRoot({ checks: { useFactory: () => new DependencyChecks(health), injects: [] } as never }),
      'injects',
      ['inject', 'imports'],
    ],
    ['new HealthKit', () => new HealthKit(health, undefined, { timeout: 10 } as never), 'timeout', ['timeoutMs']],
  ];
  for (const [what, call, key, known] of calls) {
    it(what, () => assert.throws(call, unknownOption(key, known)));
  }

  it('startHealthHttp (a rejection)', async () => {
    await assert.rejects(startHealthHttp(health, { port: 0, hots: '127.0.0.1' } as never), unknownOption('hots', ['host', 'port']));
  });

  it('HealthClient calls (a rejection)', async () => {
    const client = new HealthClient('127.0.0.1:1', grpc.credentials.createInsecure());
    try {
      await assert.rejects(client.check('', { deadlineMs: 5 } as never), unknownOption('deadlineMs', ['deadline']));
    } finally {
      client.close();
    }
  });

  it('HealthClient still takes grpc-js client and channel options', () => {
    const client = new HealthClient('127.0.0.1:1', grpc.credentials.createInsecure(), {
      timeoutMs: 100,
      interceptors: [],
      'grpc.keepalive_time_ms': 10_000,
      'grpc-node.flow_control_window': 1 << 20,
    });
    client.close();
  });
});
