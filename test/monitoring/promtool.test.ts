import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { assertInstalled, MONITORING_DIR, promtool, skipUnlessInstalled } from './prometheus-tools.js';

const RULES = join(MONITORING_DIR, 'grpc-health.rules.yml');
const RULE_TESTS = readdirSync(join(MONITORING_DIR, 'tests'))
  .filter((name) => name.endsWith('.yml'))
  .map((name) => join(MONITORING_DIR, 'tests', name));

/** Alert names of the shipped rule file. */
function alertNames(): string[] {
  return [...readFileSync(RULES, 'utf8').matchAll(/^\s*- alert: (\w+)$/gm)].map((match) => match[1]!);
}

describe('monitoring/ rules, checked by promtool', { skip: skipUnlessInstalled('promtool'), timeout: 60_000 }, () => {
  before(() => assertInstalled('promtool'));

  it('promtool check rules accepts the rule file', async () => {
    const result = await promtool(['check', 'rules', RULES]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${alertNames().length} rules found`));
  });

  it('promtool test rules passes, with a unit test for every alert', async () => {
    const alerts = alertNames();
    assert.deepEqual(alerts, [
      'GrpcHealthBackendNotServing',
      'GrpcHealthServiceBelowHealthyFraction',
      'GrpcHealthBackendFlapping',
      'GrpcHealthDashboardDown',
      'GrpcHealthDashboardTargetUnresolved',
    ]);
    const tests = RULE_TESTS.map((file) => readFileSync(file, 'utf8')).join('\n');
    for (const alert of alerts) {
      // Tested firing: an expected alert under this name, not only an empty exp_alerts.
      assert.match(
        tests,
        new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels:`),
        `${alert} has a test that expects it to fire`,
      );
    }
    const result = await promtool(['test', 'rules', ...RULE_TESTS], undefined, 60_000);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stdout.match(/SUCCESS/g)?.length, RULE_TESTS.length, result.stdout);
  });

  it('a rule test fails when an alert misbehaves (the tests can fail)', async () => {
    // The shipped tests against a rule file whose backend alert waits a minute less.
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    try {
      writeFileSync(join(dir, 'grpc-health.rules.yml'), readFileSync(RULES, 'utf8').replace('for: 5m', 'for: 4m'));
      mkdirSync(join(dir, 'tests'));
      const test = join(dir, 'tests', 'backend-not-serving.yml');
      writeFileSync(test, readFileSync(join(MONITORING_DIR, 'tests', 'backend-not-serving.yml'), 'utf8'));
      const result = await promtool(['test', 'rules', test]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout + result.stderr, /FAILED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('monitoring/ in the package', () => {
  it('is in package.json files, with its README', () => {
    const project = JSON.parse(readFileSync(join(MONITORING_DIR, '..', 'package.json'), 'utf8')) as { files: string[] };
    assert.ok(project.files.includes('monitoring'));
    assert.match(readFileSync(join(MONITORING_DIR, 'README.md'), 'utf8'), /^# Monitoring a fleet with Prometheus and Grafana/);
  });
});

describe('monitoring/ Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(join(MONITORING_DIR, 'grpc-health.grafana.json'), 'utf8')) as {
    templating: { list: { name: string; type: string }[] };
    panels: { id: number; title: string; datasource: { uid: string }; targets: { expr: string; datasource: { uid: string } }[] }[];
  };

  it('reads only the shared metrics, through the chosen Prometheus data source', () => {
    assert.deepEqual(
      dashboard.templating.list.map(({ name, type }) => `${name}:${type}`),
      ['datasource:datasource', 'job:query', 'service:query'],
    );
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    const metrics = new Set<string>();
    for (const panel of dashboard.panels) {
      assert.equal(panel.datasource.uid, '${datasource}', panel.title);
      assert.ok(panel.targets.length > 0, panel.title);
      for (const target of panel.targets) {
        assert.equal(target.datasource.uid, '${datasource}', panel.title);
        for (const match of target.expr.matchAll(/\b(grpc_health_\w+|up)\b(?=\s*[{[(])/g)) metrics.add(match[1]!);
      }
    }
    assert.deepEqual([...metrics].sort(), [
      'grpc_health_backend_check_rtt_seconds',
      'grpc_health_backend_state',
      'grpc_health_backend_state_changes_total',
      'grpc_health_backend_watch_failures_total',
      'up',
    ]);
  });
});
