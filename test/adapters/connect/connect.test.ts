/**
 * The Connect adapter beyond the conformance suite: probed by the grpc-health CLI,
 * and kept out of the main entry's module graph.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { HealthServer } from '../../../src/index.js';
import { runCli } from '../../cli/run-cli.js';
import { clientFor } from '../../conformance/clients.js';
import { SERVERS, type ServerUnderTest } from '../../conformance/servers.js';

describe('Connect adapter: probed by the grpc-health CLI over gRPC', { timeout: 30_000 }, () => {
  let server: ServerUnderTest;
  before(async () => {
    server = await SERVERS.connect!.start(new HealthServer({ statuses: { 'down.Down': 'NOT_SERVING' } }));
  });
  after(() => server.forceStop());

  it('exits 0 for SERVING, 4 for NOT_SERVING, 3 for an unknown service, and lists', async () => {
    const address = server.addresses.grpc!;
    const serving = await runCli(['check', '-addr', address]);
    assert.equal(serving.code, 0, serving.stderr);
    assert.equal(serving.stderr, 'status: SERVING\n');
    assert.equal((await runCli(['check', '-addr', address, '-service', 'down.Down'])).code, 4);
    const unknown = await runCli(['check', '-addr', address, '-service', 'who.Knows']);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /code = NotFound desc = unknown service "who\.Knows"/);
    const listed = await runCli(['list', '-addr', address]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /down\.Down/);
  });
});

describe('Connect adapter: List', { timeout: 30_000 }, () => {
  it('lists a service named "__proto__" like any other', async () => {
    const server = await SERVERS.connect!.start(new HealthServer());
    try {
      server.health.setStatus('__proto__', 'NOT_SERVING');
      const listed = await clientFor('connect', server.addresses.connect!).list();
      assert.deepEqual([...listed].sort(), [
        ['', 'SERVING'],
        ['__proto__', 'NOT_SERVING'],
      ]);
    } finally {
      server.forceStop();
    }
  });
});

/** Every bare package specifier reachable through static imports from `entry`. */
function packagesReachable(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else packages.add(specifier);
    }
  }
  return packages;
}

describe('Connect adapter: optional', () => {
  it('is not reachable from the main entry: a grpc-js user loads no Connect package', () => {
    const entry = fileURLToPath(new URL('../../../src/index.js', import.meta.url));
    const reached = [...packagesReachable(entry)];
    assert.ok(reached.includes('@grpc/grpc-js'), reached.join(' '));
    assert.deepEqual(
      reached.filter((name) => name.startsWith('@connectrpc/')),
      [],
    );
  });
});
