import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FleetSnapshot } from '../../src/dashboard/fleet-state.js';
import { startHealth, within } from '../helpers.js';
import { runCli, startCli } from '../cli/run-cli.js';

function fetchJson(url: string): Promise<FleetSnapshot> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(JSON.parse(body) as FleetSnapshot));
    }).on('error', reject);
  });
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
    const deadline = Date.now() + 10_000;
    let state: FleetSnapshot | undefined;
    while (!(state?.counts.SERVING === 1 && state?.counts.NOT_SERVING === 1)) {
      assert.ok(Date.now() < deadline, `both backends reported within 10 s (have ${JSON.stringify(state?.counts)})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      state = await fetchJson(`${url}api/state`);
    }
    const statuses = Object.fromEntries(state.backends.map((b) => [b.address, b.cells.svc!.status]));
    assert.deepEqual(statuses, { [one.address]: 'SERVING', [two.address]: 'NOT_SERVING' });
    cli.child.kill('SIGTERM');
    const result = await within(cli.done, 5000, 'exit after SIGTERM');
    assert.equal(result.code, 0, result.stderr);
  });

  it('refuses bad arguments with one line and exit code 1', async () => {
    const cases: [string[], RegExp][] = [
      [['dashboard'], /^error: no targets/],
      [['dashboard', '-target', 'nope'], /^error: target "nope"/],
      [['dashboard', '-target', '127.0.0.1:1', '-port', 'x'], /^error: invalid value "x" for flag -port/],
      [['dashboard', '-targets-file', '/nonexistent/targets'], /^error: targets file "\/nonexistent\/targets": ENOENT/],
      [['dashboard', '-target', '127.0.0.1:1', '-tls-ca-cert', 'x'], /^error: specified -tls-ca-cert without specifying -tls/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    }
  });
});
