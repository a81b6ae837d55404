/**
 * The dashboard's `/metrics` lines about targets and the shard: whether each
 * target resolves, how many addresses it stands for, and which shard of the
 * fleet this process watches. Appended to {@link fleetMetricsText}'s families.
 */
import type { FleetSnapshot } from './fleet-state.js';

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** The target and shard families in the Prometheus text exposition format (version 0.0.4). */
export function targetMetricsText(snapshot: FleetSnapshot): string {
  const lines = [
    '# HELP grpc_health_dashboard_target_resolved Whether the last resolution of each target succeeded (1) or failed (0: its last good addresses are kept).',
    '# TYPE grpc_health_dashboard_target_resolved gauge',
    ...snapshot.targets.map((t) => `grpc_health_dashboard_target_resolved{target="${label(t.target)}"} ${t.error === undefined ? 1 : 0}`),
    '# HELP grpc_health_dashboard_target_addresses Addresses each target stands for (its last good resolution, every shard).',
    '# TYPE grpc_health_dashboard_target_addresses gauge',
    ...snapshot.targets.map((t) => `grpc_health_dashboard_target_addresses{target="${label(t.target)}"} ${t.addresses.length}`),
    '# HELP grpc_health_dashboard_shard_info The shard of the fleet this dashboard watches: shard (0-based) of shards.',
    '# TYPE grpc_health_dashboard_shard_info gauge',
    `grpc_health_dashboard_shard_info{shard="${snapshot.shard.index}",shards="${snapshot.shard.count}"} 1`,
  ];
  return `${lines.join('\n')}\n`;
}
