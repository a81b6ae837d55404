import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fleetMetricsText } from '../../src/dashboard/fleet-metrics.js';
import { FLEET_STATUSES, FleetState } from '../../src/dashboard/fleet-state.js';

describe('the dashboard /metrics text', () => {
  it('exports every cell from its start: the change counter at 0 while CONNECTING, one state at 1', () => {
    const state = new FleetState(['', 'orders.Orders'], () => 1000);
    state.addBackend('127.0.0.1:1', '127.0.0.1:1');
    const text = fleetMetricsText(state.snapshot());
    const base = 'target="127.0.0.1:1",address="127.0.0.1:1"';
    for (const service of ['', 'orders.Orders']) {
      assert.match(text, new RegExp(`^grpc_health_backend_state_changes_total\\{${base},service="${service}"\\} 0$`, 'm'));
      const states = text.split('\n').filter((line) => line.startsWith(`grpc_health_backend_state{${base},service="${service}",`));
      assert.equal(states.length, FLEET_STATUSES.length);
      assert.deepEqual(
        states.filter((line) => line.endsWith(' 1')),
        [`grpc_health_backend_state{${base},service="${service}",state="CONNECTING"} 1`],
      );
    }
    assert.doesNotMatch(text, /grpc_health_backend_check_rtt_seconds\{/, 'no round-trip time before a Check answered');
    state.setStatus('127.0.0.1:1', '', 'SERVING');
    assert.match(
      fleetMetricsText(state.snapshot()),
      new RegExp(`^grpc_health_backend_state_changes_total\\{${base},service=""\\} 1$`, 'm'),
    );
  });

  it('escapes label values: backslash, double quote and newline', () => {
    const state = new FleetState(['a"b\\c\nd']);
    state.addBackend('127.0.0.1:1', 'dns:///x"y');
    assert.match(
      fleetMetricsText(state.snapshot()),
      /^grpc_health_backend_state_changes_total\{target="dns:\/\/\/x\\"y",address="127.0.0.1:1",service="a\\"b\\\\c\\nd"\} 0$/m,
    );
  });

  it("exports watch failures per cell from 0, each target's resolution and the shard, in one text", () => {
    const state = new FleetState([''], () => 1000);
    state.shard = { index: 1, count: 2 };
    state.setTarget({ target: 'dns:///ok:1', addresses: ['127.0.0.2:1', '127.0.0.3:1'], lastResolvedAt: 1000 });
    state.setTarget({ target: 'dns:///gone.invalid:1', addresses: [], error: 'ENOTFOUND' });
    state.addBackend('127.0.0.2:1', 'dns:///ok:1');
    state.addBackend('127.0.0.3:1', 'dns:///ok:1');
    state.countWatchFailure('127.0.0.3:1', '');
    state.countWatchFailure('127.0.0.3:1', '');
    const text = fleetMetricsText(state.snapshot());
    const lines = (prefix: string) => text.split('\n').filter((line) => line.startsWith(prefix));
    assert.deepEqual(lines('grpc_health_backend_watch_failures_total{'), [
      'grpc_health_backend_watch_failures_total{target="dns:///ok:1",address="127.0.0.2:1",service=""} 0',
      'grpc_health_backend_watch_failures_total{target="dns:///ok:1",address="127.0.0.3:1",service=""} 2',
    ]);
    assert.match(text, /^# TYPE grpc_health_backend_watch_failures_total counter$/m);
    assert.deepEqual(lines('grpc_health_dashboard_target_resolved{'), [
      'grpc_health_dashboard_target_resolved{target="dns:///ok:1"} 1',
      'grpc_health_dashboard_target_resolved{target="dns:///gone.invalid:1"} 0',
    ]);
    assert.deepEqual(lines('grpc_health_dashboard_target_addresses{'), [
      'grpc_health_dashboard_target_addresses{target="dns:///ok:1"} 2',
      'grpc_health_dashboard_target_addresses{target="dns:///gone.invalid:1"} 0',
    ]);
    assert.deepEqual(lines('grpc_health_dashboard_shard_info'), ['grpc_health_dashboard_shard_info{shard="1",shards="2"} 1']);
    const families = lines('# TYPE ').map((line) => line.split(' ')[2]);
    assert.equal(new Set(families).size, families.length, 'each family once');
  });
});
