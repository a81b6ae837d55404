/** HealthKitModule in a real Nest gRPC microservice, in this process. */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import { HealthArgumentError, HealthClient } from '../../src/index.js';
import { DependencyChecks, HealthKit, HealthKitModule, type HealthKitModuleOptions, HealthServer } from '../../src/nestjs/index.js';
import { ORDERS_PROTO } from '../../examples/nestjs/orders.controller.js';
import { next, until, within } from '../helpers.js';
import { freePort } from './orders.js';
import { slowWatch } from '../server/slow-watch.js';

/** A feature module with a provider that checks can use. */
const DATABASE = Symbol('database');
@Module({ providers: [{ provide: DATABASE, useValue: { up: true } }], exports: [DATABASE] })
class DatabaseModule {}

/** Reads a stream to its end; rejects with its error. */
async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const value of stream) void value;
}

async function startNest(options: HealthKitModuleOptions, nestGraceful = true, register = true) {
  @Module({ imports: [HealthKitModule.forRoot(options)] })
  class AppModule {}
  const port = await freePort();
  const app: INestMicroservice = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    logger: false,
    transport: Transport.GRPC,
    options: {
      package: 'orders',
      protoPath: ORDERS_PROTO,
      url: `127.0.0.1:${port}`,
      gracefulShutdown: nestGraceful,
      onLoadPackageDefinition: register ? (pkg, server) => app.get(HealthKit).onLoadPackageDefinition(pkg, server) : undefined,
    },
  });
  await app.listen();
  const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  return { app, client, health: app.get(HealthServer), address: `127.0.0.1:${port}` };
}

describe('HealthKitModule.forRoot', () => {
  it('checks options when given', () => {
    assert.throws(() => HealthKitModule.forRoot({ drainMs: -1 }), HealthArgumentError);
    assert.throws(() => HealthKitModule.forRoot({ timeoutMs: Number.NaN }), HealthArgumentError);
    assert.throws(() => HealthKitModule.forRoot({ statuses: { a: 'SERVICE_UNKNOWN' as 'SERVING' } }), HealthArgumentError);
    assert.throws(() => HealthKitModule.forRoot({ maxListedServices: -1 }), HealthArgumentError);
    assert.throws(() => HealthKitModule.forRoot({ checks: {} as never }), HealthArgumentError);
    assert.throws(() => HealthKitModule.forRoot({ log: 'yes' as never }), HealthArgumentError);
    assert.throws(() => HealthKitModule.forRoot({ registrationTimeoutMs: -1 }), HealthArgumentError);
  });
  it('reads options given as a class instance, getters on its prototype included', () => {
    class HealthConfig {
      get statuses() {
        return { 'echo.Echo': 'NOT_SERVING' as const };
      }
    }
    const module = HealthKitModule.forRoot(new HealthConfig());
    const provider = module.providers?.find((p) => typeof p === 'object' && 'provide' in p && p.provide === HealthServer);
    const health = (provider as { useFactory: () => HealthServer }).useFactory();
    assert.equal(health.getStatus('echo.Echo'), 'NOT_SERVING');
    class BadDrain {
      get drainMs() {
        return -1;
      }
    }
    assert.throws(() => HealthKitModule.forRoot(new BadDrain()), HealthArgumentError);
  });
});

describe('HealthKitModule: the health service never registered on the gRPC server', { timeout: 30_000 }, () => {
  it('says so loudly (a process warning and a log line) soon after bootstrap', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error & { code?: string }) => {
      if (warning.code === 'GRPC_HEALTH_KIT_NOT_REGISTERED') warnings.push(warning);
    };
    process.on('warning', onWarning);
    const lines: string[] = [];
    // onLoadPackageDefinition forgotten: every probe gets UNIMPLEMENTED.
    const { app, client } = await startNest({ registrationTimeoutMs: 100, log: (line) => lines.push(line) }, true, false);
    try {
      await assert.rejects(client.check(''), /UNIMPLEMENTED/);
      await until(() => warnings.length > 0, 5000, 'the warning');
      assert.match(warnings[0]!.message, /not registered on the gRPC server 100 ms after bootstrap.*onLoadPackageDefinition/);
      assert.ok(lines.some((line) => line.includes('not registered on the gRPC server')));
      assert.equal(app.get(HealthKit).registered, false);
    } finally {
      process.off('warning', onWarning);
      client.close();
      await within(app.close(), 5000, 'app.close()');
    }
  });

  it('stays quiet when it is registered', async () => {
    const { app, client } = await startNest({ registrationTimeoutMs: 100 });
    try {
      assert.equal(app.get(HealthKit).registered, true);
      assert.equal(await client.check(''), 'SERVING');
    } finally {
      client.close();
      await within(app.close(), 5000, 'app.close()');
    }
  });
});

describe('HealthKitModule in a Nest gRPC microservice', { timeout: 30_000 }, () => {
  it('serves health on the Nest server; statuses set through the injected HealthServer', async () => {
    const { app, client, health } = await startNest({ statuses: { 'orders.Orders': 'NOT_SERVING' } });
    try {
      assert.equal(await client.check(''), 'SERVING');
      assert.equal(await client.check('orders.Orders'), 'NOT_SERVING');
      const watch = client.watch('orders.Orders');
      assert.equal(await next(watch), 'NOT_SERVING');
      health.setStatus('orders.Orders', 'SERVING');
      assert.equal(await next(watch), 'SERVING');
      assert.equal(app.get(HealthKit).health, health);
    } finally {
      client.close();
      await within(app.close(), 5000, 'app.close()');
    }
  });

  for (const nestGraceful of [true, false]) {
    it(`app.close() with open Watch streams finishes at once (Nest gracefulShutdown: ${nestGraceful})`, async () => {
      const { app, client, health } = await startNest({ drainMs: 10_000 });
      const watches = Array.from({ length: 5 }, () => client.watch(''));
      for (const watch of watches) assert.equal(await next(watch), 'SERVING');
      const started = Date.now();
      // No signal: no drain; the open Watches would otherwise hold Nest's tryShutdown.
      await within(app.close(), 3000, 'app.close()');
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      assert.equal(health.isShutdown, true);
      assert.equal(health.watcherCount(), 0);
      // The stream ends (perhaps after a last NOT_SERVING), with an error status.
      const rest = within(drain(watches[0]!), 2000, 'the Watch to end');
      await assert.rejects(rest, /UNAVAILABLE|CANCELLED/);
      client.close();
    });
  }

  it('app.close(): a Watch whose request arrives after the stop began ends at once, the close is not held', async () => {
    const { app, client, health, address } = await startNest({ drainMs: 10_000 });
    const late = await slowWatch(address, '');
    try {
      const closing = app.close();
      // Nest's tryShutdown (wrapped by HealthKit) publishes NOT_SERVING and ends the watches.
      await until(() => health.isShutdown, 5000, 'the stop to begin');
      late.send();
      assert.equal(await within(late.status, 10_000, "the late Watch's status"), grpc.status.UNAVAILABLE);
      await within(closing, 10_000, 'app.close() (a late Watch held it open)');
    } finally {
      late.close();
      client.close();
    }
  });

  it('drains for drainMs after a signal, then stops gracefully; a throwing logger changes nothing', async () => {
    const lines: string[] = [];
    const { app, client, health } = await startNest({
      drainMs: 300,
      log: (line) => {
        lines.push(line);
        throw new Error('logger broke');
      },
    });
    try {
      const watch = client.watch('');
      assert.equal(await next(watch), 'SERVING');
      const kit = app.get(HealthKit);
      const started = Date.now();
      const stopping = kit.beforeApplicationShutdown('SIGTERM');
      assert.equal(await next(watch), 'NOT_SERVING');
      // Still serving during the drain.
      assert.equal(await client.check(''), 'NOT_SERVING');
      await within(stopping, 3000, 'the drain');
      assert.ok(Date.now() - started >= 290, `stopped after ${Date.now() - started} ms`);
      assert.equal(await kit.shutdown(), true, 'graceful, and only once');
      assert.equal(health.watcherCount(), 0);
      assert.ok(
        lines.some((line) => line.includes('server stopped gracefully')),
        lines.join('\n'),
      );
    } finally {
      client.close();
      await within(app.close(), 3000, 'app.close()');
    }
  });

  it('builds checks with injected providers, starts them on bootstrap and stops them on shutdown', async () => {
    let stopped = 0;
    let database: { up: boolean } | undefined;
    const { app, client, health } = await startNest({
      checks: {
        imports: [DatabaseModule],
        inject: [DATABASE],
        useFactory: (health: HealthServer, db: { up: boolean }) => {
          database = db;
          const checks = new DependencyChecks(health, { intervalMs: 20, failureThreshold: 1 });
          const stop = checks.stop.bind(checks);
          checks.stop = () => {
            stopped += 1;
            stop();
          };
          return checks.add('database', () => db.up, { services: ['orders.Orders'] });
        },
      },
    });
    try {
      await until(() => health.getStatus('orders.Orders') === 'SERVING', 5000, 'the check to pass');
      database!.up = false;
      await until(() => health.getStatus('orders.Orders') === 'NOT_SERVING', 5000, 'the check to fail');
      assert.equal(await client.check('orders.Orders'), 'NOT_SERVING');
    } finally {
      client.close();
      await within(app.close(), 3000, 'app.close()');
    }
    assert.equal(stopped, 1, 'the checks are stopped on shutdown');
  });
});
