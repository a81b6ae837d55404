/**
 * The dashboard's `/metrics`: the fleet state in the Prometheus text format.
 * Written by hand (a few gauges and counters) so the CLI needs no metrics
 * library; one series per (backend, service) and one per target, and the label
 * values are the targets and services the user listed (and what they resolve
 * to), so the set is bounded by them.
 *
 * What the dashboard observes of a backend carries the names and labels of
 * `grpc-health-kit/prometheus` (src/metrics/backend-metrics.ts), so the rules
 * and the Grafana dashboard under `monitoring/` serve both; what only the
 * dashboard knows is `grpc_health_dashboard_*` (about itself: its backends,
 * its targets' resolution, its shard) or `grpc_health_backend_check_rtt_seconds`.
 */
import { BACKEND_LABELS, BACKEND_METRICS, METRIC_PREFIX, STATE_LABEL } from '../metrics/backend-metrics.js';
import { type FleetCell, FLEET_STATUSES, type FleetSnapshot } from './fleet-state.js';

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Every (backend, service) cell with its label set; the whole server is `service=""`, which Prometheus stores as no label. */
function cells(snapshot: FleetSnapshot): { labels: string; cell: FleetCell }[] {
  const [target, address, service] = BACKEND_LABELS;
  const all: { labels: string; cell: FleetCell }[] = [];
  for (const backend of snapshot.backends) {
    const base = `${target}="${label(backend.target)}",${address}="${label(backend.address)}"`;
    for (const [name, cell] of Object.entries(backend.cells)) all.push({ labels: `${base},${service}="${label(name)}"`, cell });
  }
  return all;
}

/** The snapshot in the Prometheus text exposition format (version 0.0.4). */
export function fleetMetricsText(snapshot: FleetSnapshot): string {
  const lines: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const series = cells(snapshot);
  const dashboard = `${METRIC_PREFIX}dashboard_`;

  family(`${dashboard}backends`, 'gauge', 'Backends this dashboard watches.');
  lines.push(`${dashboard}backends ${snapshot.backends.length}`);

  family(`${dashboard}cells`, 'gauge', 'Watched (backend, service) pairs by state.');
  for (const status of FLEET_STATUSES) lines.push(`${dashboard}cells{${STATE_LABEL}="${status}"} ${snapshot.counts[status]}`);

  family(
    `${dashboard}target_resolved`,
    'gauge',
    'Whether the last resolution of each target succeeded (1) or failed (0: its last good addresses are kept).',
  );
  for (const t of snapshot.targets) lines.push(`${dashboard}target_resolved{target="${label(t.target)}"} ${t.error === undefined ? 1 : 0}`);

  family(`${dashboard}target_addresses`, 'gauge', 'Addresses each target stands for (its last good resolution, every shard).');
  for (const t of snapshot.targets) lines.push(`${dashboard}target_addresses{target="${label(t.target)}"} ${t.addresses.length}`);

  family(`${dashboard}shard_info`, 'gauge', 'The shard of the fleet this dashboard watches: shard (0-based) of shards.');
  lines.push(`${dashboard}shard_info{shard="${snapshot.shard.index}",shards="${snapshot.shard.count}"} 1`);

  const state = METRIC_PREFIX + BACKEND_METRICS.state.prometheus;
  family(state, 'gauge', BACKEND_METRICS.state.help);
  for (const { labels, cell } of series) {
    for (const status of FLEET_STATUSES) lines.push(`${state}{${labels},${STATE_LABEL}="${status}"} ${cell.status === status ? 1 : 0}`);
  }

  // Every cell from its start (0 while CONNECTING): a series that appeared at 1 would hide its first change from increase().
  const changes = METRIC_PREFIX + BACKEND_METRICS.stateChanges.prometheus;
  family(changes, 'counter', BACKEND_METRICS.stateChanges.help);
  for (const { labels, cell } of series) lines.push(`${changes}{${labels}} ${cell.transitions}`);

  const failures = METRIC_PREFIX + BACKEND_METRICS.watchFailures.prometheus;
  family(failures, 'counter', BACKEND_METRICS.watchFailures.help);
  for (const { labels, cell } of series) lines.push(`${failures}{${labels}} ${cell.watchFailures}`);

  const rtt = `${METRIC_PREFIX}backend_check_rtt_seconds`;
  family(rtt, 'gauge', 'Round-trip time of the last answered Check of each (backend, service).');
  for (const { labels, cell } of series) {
    if (cell.rttMs !== undefined) lines.push(`${rtt}{${labels}} ${cell.rttMs / 1000}`);
  }
  return `${lines.join('\n')}\n`;
}
