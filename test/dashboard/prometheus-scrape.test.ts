import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import type { FleetSnapshot } from '../../src/dashboard/fleet-state.js';
import { BACKEND_METRICS, METRIC_PREFIX } from '../../src/metrics/backend-metrics.js';
import { registerHealthMetrics } from '../../src/metrics/prometheus.js';
import { startCli } from '../cli/run-cli.js';
import { startHealth, within } from '../helpers.js';
import { metricsScenario } from '../metrics/metrics-scenario.js';
import { eventually } from '../helpers.js';
import { assertInstalled, httpGet, promtool, skipUnlessInstalled } from '../monitoring/prometheus-tools.js';

/** Metric families of a scrape: name → type, help, and the label names of its series. */
function families(text: string): Map<string, { type: string; help: string; labels: Set<string> }> {
  const found = new Map<string, { type: string; help: string; labels: Set<string> }>();
  const family = (name: string) => {
    let entry = found.get(name);
    if (!entry) found.set(name, (entry = { type: '', help: '', labels: new Set() }));
    return entry;
  };
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      family(meta[2]!)[meta[1] === 'HELP' ? 'help' : 'type'] = meta[3]!;
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)\{([^}]*)\}/.exec(line);
    if (sample) for (const [, name] of sample[2]!.matchAll(/(\w+)="/g)) family(sample[1]!).labels.add(name!);
  }
  return found;
}

/** Serves `text()` on /metrics, the way an application serves its prom-client registry. */
async function serveMetrics(text: () => Promise<string>): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    void text().then((body) => {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server };
}

describe('the dashboard and the library exporter, scraped', { skip: skipUnlessInstalled('promtool'), timeout: 60_000 }, () => {
  const cleanup: (() => unknown)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });
  let dashboardText = '';
  let exporterText = '';

  before(async () => {
    assertInstalled('promtool');
    // A dashboard process watching a SERVING and a NOT_SERVING backend, the whole server and one service.
    const one = await startHealth({ statuses: { 'orders.Orders': 'SERVING' } });
    const two = await startHealth({ statuses: { 'orders.Orders': 'NOT_SERVING' } });
    cleanup.push(one.close, two.close);
    const cli = startCli([
      'dashboard',
      '-target',
      one.address,
      '-target',
      two.address,
      '-service',
      '',
      '-service',
      'orders.Orders',
      '-port',
      '0',
      '-rtt-interval',
      '200ms',
    ]);
    cleanup.push(() => cli.child.kill('SIGKILL'));
    await cli.waitFor(/dashboard on (http:\S+)/, 'stdout', 15_000);
    const url = /dashboard on (http:\S+)/.exec(cli.stdout())![1]!;
    await eventually(
      async () => JSON.parse((await httpGet(`${url}api/state`)).body) as FleetSnapshot,
      (state) => state.counts.SERVING === 3 && state.backends.every((b) => Object.values(b.cells).every((c) => c.rttMs !== undefined)),
      15_000,
      'three SERVING cells and a round-trip time for each',
    );
    const scrape = await httpGet(`${url}metrics`);
    assert.equal(scrape.status, 200);
    dashboardText = scrape.body;

    // The library's prom-client exporter, balancer included, served over HTTP.
    const scenario = await metricsScenario();
    cleanup.push(() => scenario.close());
    const registry = new Registry();
    const metrics = registerHealthMetrics(registry, { health: scenario.health, checks: scenario.checks, balancer: true });
    cleanup.push(() => metrics.dispose());
    await scenario.act();
    const served = await serveMetrics(() => registry.metrics());
    cleanup.push(() => new Promise((resolve) => served.server.close(resolve)));
    exporterText = (await httpGet(served.url)).body;
  });

  it('promtool check metrics finds nothing to say about the dashboard /metrics', async () => {
    assert.match(dashboardText, /^grpc_health_backend_check_rtt_seconds\{/m, 'the scrape has every family');
    const result = await within(promtool(['check', 'metrics'], dashboardText), 30_000, 'promtool');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout + result.stderr, '');
  });

  it('promtool check metrics finds nothing to say about the library exporter', async () => {
    assert.match(exporterText, /^grpc_health_backend_state\{/m, 'balancer metrics are there');
    const result = await promtool(['check', 'metrics'], exporterText);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout + result.stderr, '');
  });

  it('what both observe of a backend has the same names, types, help and labels', () => {
    const dashboard = families(dashboardText);
    const exporter = families(exporterText);
    const shared = [BACKEND_METRICS.state, BACKEND_METRICS.stateChanges, BACKEND_METRICS.watchFailures].map(
      ({ prometheus }) => METRIC_PREFIX + prometheus,
    );
    for (const name of shared) {
      assert.ok(dashboard.has(name) && exporter.has(name), `${name} in both`);
      assert.deepEqual(dashboard.get(name), exporter.get(name), name);
    }
    assert.deepEqual([...dashboard.get(shared[0]!)!.labels], ['target', 'address', 'service', 'state']);
    assert.deepEqual([...dashboard.get(shared[1]!)!.labels], ['target', 'address', 'service']);
    assert.deepEqual([...dashboard.get(shared[2]!)!.labels], ['target', 'address', 'service']);
    // What a server says about itself keeps its own names; the dashboard says nothing of the kind.
    assert.ok(exporter.has('grpc_health_serving_status') && !dashboard.has('grpc_health_serving_status'));
    // The whole server is the empty service label value in both (Prometheus stores it as no label).
    assert.match(dashboardText, /^grpc_health_backend_state\{[^}]*service="",state="SERVING"\} 1$/m);
    assert.match(exporterText, /^grpc_health_backend_state\{[^}]*service="",state="SERVING"\} 1$/m);
  });
});
