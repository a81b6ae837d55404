/**
 * The fleet beyond one machine, with the real thing: two dashboard shards
 * (`-shard 0/2` and `-shard 1/2` over the same targets) and an
 * application's prom-client exporter (the balancer's view of the same backends)
 * scraped by a real Prometheus that loads the shipped rules; PromQL over the HTTP
 * API answers what an operator asks, and the Grafana dashboard's queries run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { FleetSnapshot } from '../../src/dashboard/fleet-state.js';
import { registerHealthMetrics } from '../../src/metrics/prometheus.js';
import { healthCheckedClient } from '../balancer/balancer-helpers.js';
import { startCli } from '../cli/run-cli.js';
import { eventually, startHealth } from '../helpers.js';
import {
  assertInstalled,
  httpGet,
  MONITORING_DIR,
  type RunningPrometheus,
  type Sample,
  skipUnlessInstalled,
  startPrometheus,
} from '../monitoring/prometheus-tools.js';

const ORDERS = 'orders.Orders';
const JOB = 'grpc-health-dashboard';
const WAIT_MS = 30_000;
const UNRESOLVED = 'dns:///no-such-host.invalid:50051';

/** `{labels} value` of each series, sorted: readable in a failed assertion. */
function shown(samples: Sample[]): string[] {
  return samples
    .map(
      ({ metric, value }) =>
        `${JSON.stringify(Object.fromEntries(Object.entries(metric).filter(([name]) => name !== '__name__')))} ${value}`,
    )
    .sort();
}

describe(
  'two dashboard shards and an exporter, scraped by a real Prometheus',
  { skip: skipUnlessInstalled('prometheus'), timeout: 180_000 },
  () => {
    const cleanup: (() => unknown)[] = [];
    after(async () => {
      for (const step of cleanup.reverse()) await step();
    });
    before(() => assertInstalled('prometheus'));

    it('holds every backend once over -shard 0/2 and 1/2, answers how many of a service are SERVING, counts every change (five between two scrapes), and fires the shipped rules', async () => {
      // Four backends: the whole server ("") and orders.Orders, both SERVING.
      const backends = await Promise.all([0, 1, 2, 3].map(() => startHealth({ statuses: { [ORDERS]: 'SERVING' } })));
      for (const backend of backends) cleanup.push(backend.close);
      const [b0, b1, , b3] = backends as [(typeof backends)[0], (typeof backends)[0], (typeof backends)[0], (typeof backends)[0]];

      // Two shards, each given every target and `-shard i/2`: each watches its share (hashed; a shard may hold
      // none of four), and a name that does not resolve, which both shards resolve and report.
      const shardClis = await Promise.all(
        [0, 1].map(async (index) => {
          const cli = startCli([
            'dashboard',
            ...backends.flatMap((backend) => ['-target', backend.address]),
            '-target',
            UNRESOLVED,
            '-shard',
            `${index}/2`,
            '-service',
            '',
            '-service',
            ORDERS,
            '-port',
            '0',
            '-rtt-interval',
            '0',
          ]);
          cleanup.push(() => cli.child.kill('SIGKILL'));
          await cli.waitFor(/dashboard on (http:\S+) watching \d+ backend/, 'stdout', 15_000);
          return { cli, url: /dashboard on (http:\S+)/.exec(cli.stdout())![1]! };
        }),
      );
      const shards = shardClis.map(({ url }) => url);
      const state = async (url: string) => JSON.parse((await httpGet(`${url}api/state`)).body) as FleetSnapshot;
      // Every backend is watched by exactly one shard.
      const watchedBy = await Promise.all(shards.map(async (url) => (await state(url)).backends.map((b) => b.address)));
      assert.deepEqual(watchedBy.flat().sort(), backends.map((b) => b.address).sort());
      const shardOf = (address: string) => shards[watchedBy.findIndex((addresses) => addresses.includes(address))]!;

      // An application whose health_check balancer watches orders.Orders on the same backends, with its prom-client exporter.
      const channel = healthCheckedClient(`ipv4:${backends.map((b) => b.address).join(',')}`, ORDERS);
      cleanup.push(() => channel.close());
      channel.getChannel().getConnectivityState(true);
      const registry = new Registry();
      const exported = registerHealthMetrics(registry, { balancer: true });
      cleanup.push(() => exported.dispose());
      const exporter = createServer((_request, response) => {
        void registry.metrics().then((body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body));
      });
      await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
      cleanup.push(() => new Promise((resolve) => exporter.close(resolve)));

      const hostPort = (url: string) => new URL(url).host;
      const prometheus: RunningPrometheus = await startPrometheus(`
global:
  scrape_interval: 500ms
  scrape_timeout: 500ms
  evaluation_interval: 500ms
rule_files:
  - ${JSON.stringify(join(MONITORING_DIR, 'grpc-health.rules.yml'))}
scrape_configs:
  - job_name: ${JOB}
    static_configs:
      - targets: ${JSON.stringify(shards.map(hostPort))}
  - job_name: orders-client
    static_configs:
      - targets: ["127.0.0.1:${(exporter.address() as AddressInfo).port}"]
`);
      cleanup.push(() => prometheus.stop());
      const query = (expr: string) => prometheus.query(expr);
      const servingByService = `count by (service) (grpc_health_backend_state{job="${JOB}", state="SERVING"} == 1)`;

      // Both shards up; every backend SERVING both; the whole server is the group without a service label.
      await eventually(
        () => query(`sum(up{job="${JOB}"})`),
        (r) => r[0]?.value === 2,
        WAIT_MS,
        'both shards scraped',
      );
      await eventually(
        () => query(servingByService),
        (r) => shown(r).join() === ['{"service":"orders.Orders"} 4', '{} 4'].join(),
        WAIT_MS,
        'eight SERVING',
      );

      // In Prometheus too, every backend is in exactly one shard: four distinct addresses, each under one
      // instance, the one whose /api/state lists it; each instance says which shard it is.
      const byShard = await query(`count by (address, instance) (grpc_health_backend_state{job="${JOB}"})`);
      assert.equal((await query(`count(count by (address) (grpc_health_backend_state{job="${JOB}"}))`))[0]?.value, backends.length);
      assert.deepEqual(await query(`count by (address) (count by (address, instance) (grpc_health_backend_state{job="${JOB}"})) > 1`), []);
      assert.deepEqual(
        byShard.map(({ metric }) => `${metric.address} ${metric.instance}`).sort(),
        backends.map((b) => `${b.address} ${hostPort(shardOf(b.address))}`).sort(),
      );
      const shardInfo = await query(`grpc_health_dashboard_shard_info{job="${JOB}"}`);
      assert.deepEqual(
        shardInfo.map(({ metric }) => `${metric.instance} ${metric.shard}/${metric.shards}`).sort(),
        shards.map((url, index) => `${hostPort(url)} ${index}/2`).sort(),
      );
      // The name that does not resolve: 0 from both shards, and its alert pending (it fires after 5 minutes).
      const unresolved = await query(`grpc_health_dashboard_target_resolved{job="${JOB}"} == 0`);
      assert.deepEqual(
        unresolved.map(({ metric }) => `${metric.instance} ${metric.target}`).sort(),
        shards.map((url) => `${hostPort(url)} ${UNRESOLVED}`).sort(),
      );
      const unresolvedAlerts = await eventually(
        () => prometheus.alerts(),
        (alerts) => alerts.filter((a) => a.labels.alertname === 'GrpcHealthDashboardTargetUnresolved').length === 2,
        WAIT_MS,
        'GrpcHealthDashboardTargetUnresolved from both shards',
      );
      assert.deepEqual(
        unresolvedAlerts
          .filter((a) => a.labels.alertname === 'GrpcHealthDashboardTargetUnresolved')
          .map((a) => `${a.state} ${a.labels.target}`),
        [`pending ${UNRESOLVED}`, `pending ${UNRESOLVED}`],
      );

      // b1's orders.Orders and b3's whole server go NOT_SERVING.
      b1.health.setStatus(ORDERS, 'NOT_SERVING');
      b3.health.setStatus('', 'NOT_SERVING');
      await eventually(
        () => query(servingByService),
        (r) => shown(r).join() === ['{"service":"orders.Orders"} 3', '{} 3'].join(),
        WAIT_MS,
        'three of four',
      );
      const wholeServerDown = await query(`grpc_health_backend_state{job="${JOB}", service="", state="NOT_SERVING"} == 1`);
      assert.deepEqual(
        wholeServerDown.map(({ metric }) => [metric.address, 'service' in metric]),
        [[b3.address, false]],
        'service="" selects the whole server, stored without a service label',
      );
      const fractions = await query(
        `sum by (service) (grpc_health_backend_state{job="${JOB}", state="SERVING"}) / count by (service) (grpc_health_backend_state{job="${JOB}", state="SERVING"})`,
      );
      assert.deepEqual(shown(fractions), ['{"service":"orders.Orders"} 0.75', '{} 0.75']);

      // The shipped rule sees them (pending: it fires after 5 minutes), for the dashboard and for the balancer alike.
      const notServing = await eventually(
        () => prometheus.alerts(),
        (alerts) => alerts.filter((a) => a.labels.alertname === 'GrpcHealthBackendNotServing').length === 3,
        WAIT_MS,
        'GrpcHealthBackendNotServing for b1 (shard and balancer) and b3',
      );
      assert.deepEqual(
        notServing
          .filter((a) => a.labels.alertname === 'GrpcHealthBackendNotServing')
          .map((a) => `${a.state} ${a.labels.job} ${a.labels.address} ${a.labels.service ?? '(whole server)'}`)
          .sort(),
        [
          `pending ${JOB} ${b1.address} ${ORDERS}`,
          `pending ${JOB} ${b3.address} (whole server)`,
          `pending orders-client ${b1.address} ${ORDERS}`,
        ].sort(),
      );

      // Five flips of b0's orders.Orders between two scrapes: the counter sees all five, the state gauge one change.
      const counter = `grpc_health_backend_state_changes_total{job="${JOB}", address="${b0.address}", service="${ORDERS}"}`;
      const gauge = `grpc_health_backend_state{job="${JOB}", address="${b0.address}", service="${ORDERS}", state="SERVING"}`;
      const seenByShard = async () =>
        (await state(shardOf(b0.address))).backends.find((b) => b.address === b0.address)!.cells[ORDERS]!.transitions;
      const scraped = async () => (await query(counter))[0]?.value;
      let serving = true;
      let between: [before: [number, number], after: [number, number]] | undefined;
      for (let round = 1; !between; round += 1) {
        // A scrape has seen the count as it is now; five flips, each waited for at the shard; then the next scrape.
        assert.ok(round <= 5, 'five flips fell between two scrapes within five rounds');
        const start = await seenByShard();
        await eventually(scraped, (value) => value === start, WAIT_MS, `a scrape of ${start} changes`);
        for (let flip = 1; flip <= 5; flip += 1) {
          serving = !serving;
          b0.health.setStatus(ORDERS, serving ? 'SERVING' : 'NOT_SERVING');
          await eventually(seenByShard, (value) => value === start + flip, WAIT_MS, `flip ${flip} at the shard`);
        }
        await eventually(scraped, (value) => value === start + 5, WAIT_MS, `a scrape of ${start + 5} changes`);
        const [samples] = await prometheus.samples(`${counter}[1m]`);
        const values = samples!.values;
        const at = values.findIndex(([, value], i) => value === start && values[i + 1]?.[1] === start + 5);
        if (at >= 0) between = [values[at]!, values[at + 1]!];
      }
      const [gaugeSamples] = await prometheus.samples(`${gauge}[1m]`);
      const gaugeAt = (time: number) => gaugeSamples!.values.find(([at]) => at === time)?.[1];
      const [[beforeAt], [afterAt]] = between;
      assert.equal(
        Math.abs(gaugeAt(afterAt)! - gaugeAt(beforeAt)!),
        1,
        'a poller of the state, sampling once per scrape, sees one change where there were five',
      );
      const flapping = await eventually(
        () => prometheus.alerts(),
        (alerts) => alerts.some((a) => a.labels.alertname === 'GrpcHealthBackendFlapping' && a.labels.job === JOB),
        WAIT_MS,
        'GrpcHealthBackendFlapping',
      );
      assert.deepEqual(
        flapping
          .filter((a) => a.labels.alertname === 'GrpcHealthBackendFlapping' && a.labels.job === JOB)
          .map((a) => `${a.state} ${a.labels.address} ${a.labels.service}`),
        [`firing ${b0.address} ${ORDERS}`],
      );

      // Every change both shards counted is in Prometheus.
      const counted = async () =>
        (await Promise.all(shards.map(state)))
          .flatMap((snapshot) => snapshot.backends.flatMap((b) => Object.values(b.cells)))
          .reduce((sum, cell) => sum + cell.transitions, 0);
      const total = await counted();
      await eventually(
        () => query(`sum(grpc_health_backend_state_changes_total{job="${JOB}"})`),
        (r) => r[0]?.value === total,
        WAIT_MS,
        `Prometheus to hold all ${total} changes the shards counted`,
      );

      // The Grafana dashboard's queries run on this Prometheus, the whole server under a name of its own.
      const grafana = JSON.parse(readFileSync(join(MONITORING_DIR, 'grpc-health.grafana.json'), 'utf8')) as {
        panels: { title: string; targets: { expr: string }[] }[];
      };
      const variables: Record<string, string> = { $job: '.*', $service: '.*', $__rate_interval: '10s', $__range: '3s' };
      for (const panel of grafana.panels) {
        for (const { expr } of panel.targets) {
          const concrete = expr.replace(/\$\w+/g, (name) => variables[name] ?? assert.fail(`${panel.title}: unknown variable ${name}`));
          const result = await query(concrete).catch((error: Error) => assert.fail(`${panel.title}: ${error.message}`));
          if (panel.title === 'SERVING by service') {
            assert.ok(
              result.some((s) => s.metric.service === '(whole server)' && s.value === 0.75),
              `${panel.title}: ${shown(result).join(' ')}`,
            );
          }
          if (panel.title.startsWith('State timeline')) {
            // b3's whole server is NOT_SERVING (code 2); b2 has been SERVING throughout the window.
            assert.ok(!result.some((s) => s.metric.address === backends[2]!.address), `${panel.title}: ${shown(result).join(' ')}`);
            assert.ok(result.some((s) => s.metric.address === b3.address && s.metric.service === '(whole server)' && s.value === 2));
          }
        }
      }

      // A shard killed: Prometheus sees it down and GrpcHealthDashboardDown goes pending for it (it fires after 2 minutes).
      const killed = shardClis[1]!;
      killed.cli.child.kill('SIGKILL');
      await eventually(
        () => query(`up{job="${JOB}"} == 0`),
        (r) => r.map(({ metric }) => metric.instance).join() === hostPort(killed.url),
        WAIT_MS,
        'the killed shard down',
      );
      const down = await eventually(
        () => prometheus.alerts(),
        (alerts) => alerts.some((a) => a.labels.alertname === 'GrpcHealthDashboardDown'),
        WAIT_MS,
        'GrpcHealthDashboardDown',
      );
      assert.deepEqual(
        down.filter((a) => a.labels.alertname === 'GrpcHealthDashboardDown').map((a) => `${a.state} ${a.labels.instance}`),
        [`pending ${hostPort(killed.url)}`],
      );
    });
  },
);
