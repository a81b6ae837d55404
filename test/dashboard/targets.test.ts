import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HealthArgumentError } from '../../src/index.js';
import { parseTarget, readTargetsFile, resolveTarget } from '../../src/dashboard/targets.js';

describe('dashboard targets', { timeout: 5000 }, () => {
  it('reads host:port, IPv6, dns:/// and unix: targets', () => {
    assert.deepEqual(parseTarget('127.0.0.2:50051'), { kind: 'fixed', text: '127.0.0.2:50051', address: '127.0.0.2:50051' });
    assert.deepEqual(parseTarget('[::1]:8080'), { kind: 'fixed', text: '[::1]:8080', address: '[::1]:8080' });
    assert.deepEqual(parseTarget('dns:///orders.internal:443'), {
      kind: 'dns',
      text: 'dns:///orders.internal:443',
      host: 'orders.internal',
      port: 443,
    });
    assert.deepEqual(parseTarget('dns://8.8.8.8/orders:443'), { kind: 'dns', text: 'dns://8.8.8.8/orders:443', host: 'orders', port: 443 });
    assert.deepEqual(parseTarget('localhost:5000'), { kind: 'dns', text: 'localhost:5000', host: 'localhost', port: 5000 });
    assert.deepEqual(parseTarget('unix:///run/app.sock'), { kind: 'fixed', text: 'unix:///run/app.sock', address: 'unix:///run/app.sock' });
  });

  it('refuses what is not a target with a typed error', () => {
    for (const bad of [
      '',
      '   ',
      'host',
      'host:0',
      'host:65536',
      'host:-1',
      'a b:1',
      'dns:///x',
      'unix:',
      '[::1:80',
      'x'.repeat(2000) + ':1',
      'h\0:1',
    ]) {
      assert.throws(() => parseTarget(bad), HealthArgumentError, bad.slice(0, 20));
    }
  });

  it('reads a targets file, skipping comments and blank lines; a bad line is an invalid target naming the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'targets-'));
    const good = join(dir, 'good.txt');
    writeFileSync(good, '# fleet\n127.0.0.2:1\n\n  dns:///svc:2  # two\r\n');
    assert.deepEqual(
      readTargetsFile(good).map((t) => t.text),
      ['127.0.0.2:1', 'dns:///svc:2'],
    );
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '127.0.0.2:1\n127.0.0.1:\n');
    const [ok, invalid] = readTargetsFile(bad);
    assert.equal(ok!.kind, 'fixed');
    assert.equal(invalid!.kind, 'invalid');
    assert.equal(invalid!.text, '127.0.0.1:');
    assert.match(invalid!.kind === 'invalid' ? invalid!.error : '', /line 2: target "127.0.0.1:"/);
    assert.throws(() => readTargetsFile(join(dir, 'missing.txt')), /ENOENT/);
  });

  it('expands a name to every address it has, once each; says why a name stands for none', async () => {
    const target = parseTarget('dns:///fleet:7000');
    const { backends } = await resolveTarget(target, async () => ['127.0.0.2', '127.0.0.3', '127.0.0.2', '::1']);
    assert.deepEqual(
      backends!.map((b) => b.address),
      ['127.0.0.2:7000', '127.0.0.3:7000', '[::1]:7000'],
    );
    assert.deepEqual(await resolveTarget(target, async () => Promise.reject(new Error('getaddrinfo ENOTFOUND fleet'))), {
      error: 'getaddrinfo ENOTFOUND fleet',
    });
    assert.deepEqual(await resolveTarget(target, async () => []), { error: 'resolved to no address' });
    assert.deepEqual(await resolveTarget(parseTarget('127.0.0.9:1')), { backends: [{ address: '127.0.0.9:1', target: '127.0.0.9:1' }] });
  });

  it("gives the system resolver's error for a name that does not resolve", async () => {
    // .invalid never resolves (RFC 6761), so this needs no network.
    const { error } = await resolveTarget(parseTarget('dns:///no-such-host.invalid:50051'));
    assert.match(error ?? '', /ENOTFOUND|EAI_AGAIN|EAI_FAIL|ENODATA/);
  });
});
