import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FleetSnapshot } from '../../src/dashboard/fleet-state.js';
import { eventually, startHealth, within } from '../helpers.js';
import { runCli, startCli } from '../cli/run-cli.js';

function fetchText(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    }).on('error', reject);
  });
}

async function fetchJson(url: string): Promise<FleetSnapshot> {
  return JSON.parse((await fetchText(url)).body) as FleetSnapshot;
}

describe('grpc-health dashboard', { timeout: 30_000 }, () => {
  const cleanup: (() => void)[] = [];
  after(() => cleanup.forEach((step) => step()));

  it('watches targets from flags and a file, serves the state, and exits 0 on SIGTERM', async () => {
    const one = await startHealth({ statuses: { svc: 'SERVING' } });
    const two = await startHealth({ statuses: { svc: 'NOT_SERVING' } });
    cleanup.push(one.close, two.close);
    const file = join(mkdtempSync(join(tmpdir(), 'fleet-')), 'targets.txt');
    writeFileSync(file, `# the second backend\n${two.address}\n`);
    const cli = startCli([
      'dashboard',
      '-target',
      one.address,
      '-targets-file',
      file,
      '-service',
      'svc',
      '-port',
      '0',
      '-rtt-interval',
      '0',
    ]);
    cleanup.push(() => cli.child.kill('SIGKILL'));
    await cli.waitFor(/dashboard on (http:\S+) watching 2 backend\(s\)/, 'stdout', 10_000);
    const url = /dashboard on (http:\S+)/.exec(cli.stdout())![1]!;
    // Polled: the state has no event to wait on from outside the process.
    const state: FleetSnapshot = await eventually(
      () => fetchJson(`${url}api/state`),
      (read: FleetSnapshot) => read.counts.SERVING === 1 && read.counts.NOT_SERVING === 1,
      10_000,
      'both backends reported',
    );
    const statuses = Object.fromEntries(state.backends.map((b) => [b.address, b.cells.svc!.status]));
    assert.deepEqual(statuses, { [one.address]: 'SERVING', [two.address]: 'NOT_SERVING' });
    cli.child.kill('SIGTERM');
    const result = await within(cli.done, 5000, 'exit after SIGTERM');
    assert.equal(result.code, 0, result.stderr);
  });

  it('shows targets that do not resolve or parse as rows, with one stderr line each, and keeps watching the rest', async () => {
    const one = await startHealth({ statuses: { '': 'SERVING' } });
    cleanup.push(one.close);
    const file = join(mkdtempSync(join(tmpdir(), 'fleet-')), 'targets.txt');
    writeFileSync(file, `${one.address}\n127.0.0.1:\n`);
    const missing = 'dns:///no-such-host.invalid:50051';
    const cli = startCli(['dashboard', '-target', missing, '-targets-file', file, '-port', '0', '-rtt-interval', '0', '-shard', '0/1']);
    cleanup.push(() => cli.child.kill('SIGKILL'));
    await cli.waitFor(/dashboard on (http:\S+) watching 1 backend\(s\) of 3 target\(s\)/, 'stdout', 10_000);
    const url = /dashboard on (http:\S+)/.exec(cli.stdout())![1]!;
    const first = await fetchJson(`${url}api/state`);
    assert.deepEqual(
      first.targets.map((t) => [t.target, t.error === undefined]),
      [
        [missing, false],
        [one.address, true],
        ['127.0.0.1:', false],
      ],
    );
    assert.match(first.targets[2]!.error!, /line 2: target "127.0.0.1:"/);
    assert.deepEqual(first.shard, { index: 0, count: 1 });
    const metrics = (await fetchText(`${url}metrics`)).body;
    assert.match(metrics, /^grpc_health_dashboard_target_resolved\{target="dns:\/\/\/no-such-host.invalid:50051"\} 0$/m);
    // Tried again with backoff (about a second), with no second line for the same error.
    await eventually(
      () => fetchJson(`${url}api/state`),
      (read: FleetSnapshot) => read.targets[0]!.nextAttemptAt !== first.targets[0]!.nextAttemptAt,
      10_000,
      'the name to be tried again',
    );
    const lines = cli.stderr().trim().split('\n');
    assert.equal(lines.filter((line) => line.includes(missing)).length, 1, cli.stderr());
    assert.equal(lines.filter((line) => line.includes('127.0.0.1:')).length, 1, cli.stderr());
    assert.match(cli.stderr(), /target dns:\/\/\/no-such-host.invalid:50051: .*no-such-host.invalid.*; next attempt in \d+s/);
    cli.child.kill('SIGTERM');
    assert.equal((await within(cli.done, 5000, 'exit after SIGTERM')).code, 0);
  });

  it('exits 0 on SIGTERM while the first resolution still waits for the resolver', async () => {
    const slowDns = new URL('../fixtures/slow-dns.js', import.meta.url).href;
    const cli = startCli(['dashboard', '-target', 'dns:///slow.example:50051', '-port', '0', '-rtt-interval', '0'], {
      nodeArgs: ['--import', slowDns],
    });
    cleanup.push(() => cli.child.kill('SIGKILL'));
    await cli.waitFor(/slow lookup of slow\.example/, 'stderr', 10_000);
    cli.child.kill('SIGTERM');
    const result = await within(cli.done, 10_000, 'exit after SIGTERM during the first resolution');
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /dashboard on/);
  });

  it('serves the names given by -allow-host, and refuses other Host names', async () => {
    const cli = startCli(['dashboard', '-target', '127.0.0.1:1', '-port', '0', '-rtt-interval', '0', '-allow-host', 'dash.example']);
    cleanup.push(() => cli.child.kill('SIGKILL'));
    await cli.waitFor(/dashboard on (http:\S+)/, 'stdout', 10_000);
    const url = /dashboard on (http:\S+)/.exec(cli.stdout())![1]!;
    assert.equal((await fetchText(`${url}api/state`, { host: 'dash.example:8080' })).status, 200);
    assert.equal((await fetchText(`${url}api/state`, { host: 'evil.example' })).status, 421);
    cli.child.kill('SIGTERM');
    await within(cli.done, 5000, 'exit after SIGTERM');
  });

  it('refuses bad arguments with one line and exit code 1', async () => {
    const cases: [string[], RegExp][] = [
      [['dashboard'], /^error: no targets/],
      [['dashboard', '-target', 'nope'], /^error: target "nope"/],
      [['dashboard', '-target', '127.0.0.1:1', '-port', 'x'], /^error: invalid value "x" for flag -port/],
      [['dashboard', '-targets-file', '/nonexistent/targets'], /^error: targets file "\/nonexistent\/targets": ENOENT/],
      [['dashboard', '-target', '127.0.0.1:1', '-tls-ca-cert', 'x'], /^error: specified -tls-ca-cert without specifying -tls/],
      [['dashboard', '-target', '127.0.0.1:'], /^error: target "127.0.0.1:"/],
      [['dashboard', '-target', '127.0.0.1:1', '-shard', '2/2'], /^error: shard "2\/2"/],
      [['dashboard', '-target', '127.0.0.1:1', '-max-event-streams', '0'], /^error: invalid value "0" for flag -max-event-streams/],
      [['dashboard', '-target', '127.0.0.1:1', '-port', '0', '-allow-host', 'a/b'], /^error: allowed host "a\/b" is not a host name/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });
});
