/**
 * The dashboard's `/metrics`: the fleet state in the Prometheus text format.
 * Written by hand (a few gauges and a counter) so the CLI needs no metrics
 * library; one series per (backend, service), and the label values are the
 * backends and services the user listed, so the set is bounded by them.
 */
import { type FleetCell, FLEET_STATUSES, type FleetSnapshot } from './fleet-state.js';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Every (backend, service) cell with its label set. */
function* series(snapshot: FleetSnapshot): Generator<{ base: string; cell: FleetCell }> {
  for (const backend of snapshot.backends) {
    for (const [service, cell] of Object.entries(backend.cells)) {
      yield { base: `backend="${label(backend.address)}",target="${label(backend.target)}",service="${label(service)}"`, cell };
    }
  }
}

/** The snapshot in the Prometheus text exposition format (version 0.0.4). */
export function fleetMetricsText(snapshot: FleetSnapshot): string {
  const lines: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  family('grpc_health_dashboard_backends', 'gauge', 'Backends watched.');
  lines.push(`grpc_health_dashboard_backends ${snapshot.backends.length}`);

  family('grpc_health_dashboard_cells', 'gauge', 'Watched (backend, service) pairs by status.');
  for (const status of FLEET_STATUSES) lines.push(`grpc_health_dashboard_cells{status="${status}"} ${snapshot.counts[status]}`);

  family(
    'grpc_health_dashboard_status',
    'gauge',
    'Status of each watched (backend, service): 1 for the status it is in, 0 for the others.',
  );
  for (const { base, cell } of series(snapshot)) {
    for (const status of FLEET_STATUSES)
      lines.push(`grpc_health_dashboard_status{${base},status="${status}"} ${cell.status === status ? 1 : 0}`);
  }

  family(
    'grpc_health_dashboard_status_changes_total',
    'counter',
    'Status changes of each watched (backend, service) since the dashboard started.',
  );
  for (const { base, cell } of series(snapshot)) lines.push(`grpc_health_dashboard_status_changes_total{${base}} ${cell.transitions}`);

  family('grpc_health_dashboard_check_rtt_seconds', 'gauge', 'Round-trip time of the last successful Check of each (backend, service).');
  for (const { base, cell } of series(snapshot)) {
    if (cell.rttMs !== undefined) lines.push(`grpc_health_dashboard_check_rtt_seconds{${base}} ${cell.rttMs / 1000}`);
  }
  return `${lines.join('\n')}\n`;
}
