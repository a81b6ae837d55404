/**
 * One scenario both metrics adapters are tested against: a health server with
 * Watch streams and status changes, dependency checks (one passing, one failing),
 * and a health-checked channel over two backends, one of them NOT_SERVING.
 */
import * as grpc from '@grpc/grpc-js';
import { DependencyChecks, HealthClient, HealthServer } from '../../src/index.js';
import { healthCheckedClient, healthSettles, spread } from '../balancer/balancer-helpers.js';
import { ipv4Target, startBackends } from '../backends.js';
import { startServer, until } from '../helpers.js';

export interface MetricsScenario {
  health: HealthServer;
  checks: DependencyChecks;
  backendTarget: string;
  addresses: [serving: string, notServing: string];
  /** Drives the changes the assertions expect; call after registering the metrics. */
  act(): Promise<void>;
  close(): void;
}

export async function metricsScenario(): Promise<MetricsScenario> {
  const health = new HealthServer({ statuses: { 'orders.Orders': 'SERVING' } });
  const server = await startServer((s) => health.addToServer(s));
  const client = new HealthClient(server.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  const checks = new DependencyChecks(health);
  let dbUp = true;
  checks.add('db', () => dbUp, { services: ['orders.Orders'], intervalMs: 60_000, failureThreshold: 1 });
  checks.add('cache', () => true, { intervalMs: 60_000 });
  const backends = await startBackends(2);
  backends[1]!.health.setStatus('', 'NOT_SERVING');
  const target = ipv4Target(backends);
  const channelClient = healthCheckedClient(target);
  const abort = new AbortController();
  return {
    health,
    checks,
    backendTarget: target,
    addresses: [backends[0]!.address, backends[1]!.address],
    async act() {
      // Two watchers of a registered service, one of a name nobody registered.
      const watched = [
        client.watch('orders.Orders', { signal: abort.signal }),
        client.watch('orders.Orders', { signal: abort.signal }),
        client.watch('nobody.Nobody', { signal: abort.signal }),
      ];
      for (const iterator of watched) void iterator.next();
      await until(() => health.watcherCount() === 3, 5000, 'three Watch streams');
      health.setStatus('payments.Payments', 'UNKNOWN');
      await checks.runNow();
      dbUp = false;
      await checks.runNow('db');
      await spread(channelClient, 4);
      await healthSettles((all) => all.filter((b) => b.target.includes(backends[0]!.address)).length === 2, 5000, 'both backends checked');
    },
    close() {
      abort.abort();
      checks.stop();
      channelClient.close();
      client.close();
      server.stop();
      for (const backend of backends) backend.stop();
    },
  };
}
