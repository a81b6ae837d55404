/**
 * Every guide, followed as written: a fresh project per guide with the packed package
 * (guide-project.ts), the guide's files verbatim, type-checked, its commands run, and
 * what it says they print or do checked. The block markers are described in guide.ts
 * and docs/development.md.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { within } from '../helpers.js';
import { root } from '../packed-package.js';
import { Guide } from './guide.js';
import { GuideProject, nodeRunsTypeScript, removeShared, type Started, tarball } from './guide-project.js';

const only = process.env.GUIDE;
const readme = new Guide('README.md');
after(removeShared);
const skip = nodeRunsTypeScript ? false : `Node ${process.versions.node} does not run .ts files (22.18+ does)`;

/** Output lines with the real ports put back to the guide's defaults. */
function asShown(project: GuideProject, text: string): string[] {
  let shown = text;
  for (const [port, real] of project.ports) shown = shown.replace(new RegExp(`(?<!\\d)${real}(?!\\d)`, 'g'), port);
  return shown.replaceAll('127.0.0.1', 'localhost').trimEnd().split('\n');
}

/**
 * One guide's project, made before its tests and removed after them; `servers` started
 * by a test are killed after it.
 */
function guideSuite(
  path: string,
  base: Guide | undefined,
  body: (context: { project: () => GuideProject; guide: Guide; started: Started[] }) => void,
) {
  // GUIDE=docs/cli.md runs one guide's tests (while writing it).
  describe(path, { skip: skip || (only !== undefined && only !== path), timeout: 240_000 }, () => {
    const guide = path === 'README.md' ? readme : new Guide(path);
    let project: GuideProject | undefined;
    const started: Started[] = [];
    before(
      async () => {
        await tarball();
        project = await GuideProject.create(guide, base);
      },
      { timeout: 200_000 },
    );
    after(async () => {
      for (const program of started) program.kill();
      await project?.remove();
    });
    it('type-checks as written', { timeout: 120_000 }, () => project!.typeCheck());
    body({ project: () => project!, guide, started });
  });
}

guideSuite('README.md', readme, ({ project, guide, started }) => {
  it('quick start: the client and the probe see echo.Echo SERVING; SIGTERM drains, then exit 0', { timeout: 60_000 }, async () => {
    const p = project();
    const [serverLine, clientLine, probeLine] = guide.commands('run');
    const expected = guide.output('run').split('\n');
    const server = p.start(serverLine!, { HOST: '127.0.0.1', PORT: '0' });
    started.push(server);
    const [, port] = await server.waitFor(/listening on port (\d+)/);
    p.ports.set('50051', port!);
    assert.deepEqual(asShown(p, server.output()), expected.slice(0, 1));

    const client = await p.command(clientLine!);
    assert.equal(client.code, 0, client.stderr);
    assert.deepEqual(asShown(p, client.stdout), expected.slice(1, 4));

    const probe = await p.command(probeLine!);
    assert.equal(probe.code, 0);
    assert.deepEqual(asShown(p, probe.stdout + probe.stderr), expected.slice(4));

    // "for 5 s the probe gets ... exit code 4, then the server exits 0"
    server.child.kill('SIGTERM');
    // The drain is under way once the probe sees NOT_SERVING (the signal is handled on the server's next turn).
    let draining = await p.command(probeLine!);
    for (let i = 0; i < 50 && draining.code === 0; i++) draining = await p.command(probeLine!);
    assert.equal(draining.code, 4, draining.stderr);
    assert.match(draining.stderr, /service unhealthy \(responded with "NOT_SERVING"\)/);
    const { code } = await server.exited;
    assert.equal(code, 0);
  });

  it('a taken port: one line on stderr, exit 1', { timeout: 30_000 }, async () => {
    const p = project();
    const first = p.start(guide.commands('run')[0]!, { HOST: '127.0.0.1', PORT: '0' });
    started.push(first);
    const [, port] = await first.waitFor(/listening on port (\d+)/);
    const second = await p.shell(guide.commands('run')[0]!, { env: { HOST: '127.0.0.1', PORT: port! } });
    assert.equal(second.code, 1);
    assert.match(second.stderr, /^cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/m);
    first.kill();
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return String(port);
}

/** Starts `grpc-health serve` as a guide shows it; resolves once it listens, with the guide's port mapped. */
async function serve(project: GuideProject, line: string, started: Started[]): Promise<Started> {
  const server = project.start(line.replace(/-port \d+/, '-port 0'));
  started.push(server);
  const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  project.ports.set(/-port (\d+)/.exec(line)![1]!, port!);
  return server;
}

guideSuite('docs/cli.md', readme, ({ project, guide, started }) => {
  it('check: the outputs and exit codes shown (0, 4, 3, 2)', { timeout: 60_000 }, async () => {
    const p = project();
    await serve(p, guide.commands('serve')[0]!, started);
    p.ports.set('50052', await closedPort());
    const results = [];
    for (const line of guide.commands('check')) results.push(await p.command(line));
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 4, 3, 2],
    );
    assert.deepEqual(
      results.flatMap((r) => asShown(p, r.stdout + r.stderr)),
      guide.output('check').split('\n'),
    );
  });

  it('-json with several services: one object each, and the highest exit code (4 over 3)', { timeout: 60_000 }, async () => {
    const p = project();
    await serve(p, guide.commands('serve')[0]!, started);
    const result = await p.command(guide.commands('json')[0]!);
    assert.equal(result.code, 4);
    const latency = (text: string) => text.replace(/"latency_ms":[\d.]+/g, '"latency_ms":_');
    assert.deepEqual(asShown(p, latency(result.stdout)), latency(guide.output('json')).split('\n'));
  });

  it('the Kubernetes exec probe and the Docker HEALTHCHECK: 0 while SERVING, non-zero without a server', { timeout: 60_000 }, async () => {
    const p = project();
    const server = await serve(p, guide.commands('serve')[0]!, started);
    const yaml = await readFile(join(p.dir, 'k8s/readiness.yaml'), 'utf8');
    const exec = (JSON.parse(/command: (\[.*\])/.exec(yaml)![1]!) as string[]).map((word) => word.replace(/^\/app\//, `${p.dir}/`));
    const dockerfile = await readFile(join(p.dir, 'Dockerfile.healthcheck'), 'utf8');
    const healthcheck = /\bCMD (.*)$/m.exec(dockerfile)![1]!;
    assert.equal((await p.command(exec.join(' '))).code, 0);
    assert.equal((await p.command(healthcheck)).code, 0);
    server.kill();
    await server.exited;
    assert.equal((await p.command(exec.join(' '))).code, 2);
    assert.equal((await p.command(healthcheck)).code, 1);
  });
});

guideSuite('docs/connect.md', readme, ({ project, guide, started }) => {
  it('one port: grpc-health over HTTP/2, Connect JSON over HTTP/1.1 and over h2c', { timeout: 60_000 }, async () => {
    const p = project();
    const [serverLine, ...clients] = guide.commands('run');
    const expected = guide.output('run').split('\n');
    const server = p.start(serverLine!, { HOST: '127.0.0.1', PORT: '0' });
    started.push(server);
    const [, port] = await server.waitFor(/on port (\d+)/);
    p.ports.set('8080', port!);
    assert.deepEqual(asShown(p, server.output()), expected.slice(0, 1));
    const results = [];
    for (const line of clients) results.push(await p.command(line));
    assert.deepEqual(
      results.map((r) => r.code),
      [0, 0, 0],
      JSON.stringify(results),
    );
    assert.deepEqual(
      results.flatMap((r) => asShown(p, r.stdout + r.stderr)),
      expected.slice(1),
    );
  });
});

guideSuite('docs/production.md', readme, ({ project, guide, started }) => {
  it(
    '/readyz and the probe: SERVING with the database up; on SIGTERM 503 and NOT_SERVING during the drain, then exit 0',
    { timeout: 90_000 },
    async () => {
      const p = project();
      const database = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
      try {
        p.ports.set('5432', String((database.address() as { port: number }).port));
        const [serverLine, curlLine, probeLine] = guide.commands('run');
        const server = p.start(serverLine!, { HOST: '127.0.0.1', PORT: '0', HTTP_PORT: '0' });
        started.push(server);
        const [, grpcPort, httpPort] = await server.waitFor(/gRPC on port (\d+), HTTP on port (\d+)/);
        p.ports.set('50051', grpcPort!).set('8080', httpPort!);
        const expected = guide.output('run').split('\n');
        assert.deepEqual(asShown(p, server.output()), expected.slice(0, 1));
        // Until the database check has first passed, orders.Orders is NOT_SERVING.
        let ready = await p.command(curlLine!);
        for (let i = 0; i < 100 && !ready.stdout.endsWith('200\n'); i++) ready = await p.command(curlLine!);
        assert.deepEqual(asShown(p, ready.stdout), expected.slice(1, 3));
        const probe = await p.command(probeLine!);
        assert.equal(probe.code, 0);
        assert.deepEqual(asShown(p, probe.stderr), expected.slice(3));

        server.child.kill('SIGTERM');
        await server.waitFor(/SIGTERM received/);
        const draining = guide.output('draining').split('\n');
        assert.deepEqual(asShown(p, (await p.command(curlLine!)).stdout), draining.slice(0, 2));
        const drainingProbe = await p.command(probeLine!);
        assert.equal(drainingProbe.code, 4);
        assert.deepEqual(asShown(p, drainingProbe.stderr), draining.slice(2));
        const { code, stdout } = await within(server.exited, 30_000, 'the server to exit after the drain');
        assert.equal(code, 0);
        const ms = (text: string) => text.replace(/after \d+ ms/g, 'after _ ms');
        assert.deepEqual(asShown(p, ms(stdout)).slice(1), ms(guide.output('stopped')).split('\n'));
      } finally {
        database.close();
      }
    },
  );
});

guideSuite('docs/nestjs.md', undefined, ({ project, guide, started }) => {
  it(
    'built with tsc, orders.Orders SERVING; SIGTERM: NOT_SERVING during the drain, then ended by the signal Nest raises again',
    { timeout: 90_000 },
    async () => {
      const p = project();
      const [build, serverLine, probeLine] = guide.commands('run');
      const built = await p.shell(build!, { timeout: 120_000 });
      assert.equal(built.code, 0, built.stdout);
      // Nest's transport gives no way to learn the port it bound: a free one, chosen now.
      const port = await closedPort();
      p.ports.set('50051', port);
      const server = p.start(serverLine!, { HOST: '127.0.0.1', PORT: port });
      started.push(server);
      await server.waitFor(/orders on 127\.0\.0\.1:\d+/, 30_000);
      const probe = await p.command(probeLine!);
      assert.equal(probe.code, 0, probe.stderr);
      assert.deepEqual(asShown(p, probe.stderr), guide.output('probe').split('\n'));

      server.child.kill('SIGTERM');
      await server.waitFor(/draining/);
      const draining = await p.command(probeLine!);
      assert.equal(draining.code, 4, draining.stderr);
      const { code, signal, stdout } = await within(server.exited, 30_000, 'the app to exit after the drain');
      assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' });
      assert.match(stdout, /server stopped gracefully/);
    },
  );
});

guideSuite('docs/server.md', readme, ({ project, guide }) => {
  it('statuses: what the program prints', { timeout: 30_000 }, async () => {
    const result = await project().command(guide.commands('run')[0]!);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(asShown(project(), result.stdout), guide.output('run').split('\n'));
  });
});

guideSuite('docs/client.md', readme, ({ project, guide, started }) => {
  it('check, an unknown service, watch and watchHealth: what the program prints', { timeout: 30_000 }, async () => {
    const p = project();
    await serve(p, guide.commands('serve')[0]!, started);
    const result = await p.command(guide.commands('run')[0]!);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(asShown(p, result.stdout), guide.output('run').split('\n'));
  });
});

guideSuite('docs/load-balancing.md', readme, ({ project, guide }) => {
  it('RPCs reach only SERVING backends: both, then a alone while b drains, then both again', { timeout: 60_000 }, async () => {
    const result = await project().command(guide.commands('run')[0]!);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(asShown(project(), result.stdout), guide.output('run').split('\n'));
  });
});

/** Starts a guide's server (HOST=127.0.0.1, PORT=0), maps 50051 to its port, checks what it printed. */
async function startServer(p: GuideProject, line: string, shown: string, started: Started[]): Promise<Started> {
  const server = p.start(line, { HOST: '127.0.0.1', PORT: '0' });
  started.push(server);
  const [, port] = await server.waitFor(/listening on port (\d+)/);
  p.ports.set('50051', port!);
  assert.deepEqual(asShown(p, server.output()), [shown]);
  return server;
}

guideSuite('docs/nice-grpc.md', readme, ({ project, guide, started }) => {
  it('the probe sees orders.Orders SERVING; SIGTERM: NOT_SERVING during the drain, then exit 0', { timeout: 60_000 }, async () => {
    const p = project();
    const [serverLine, probeLine] = guide.commands('run');
    const expected = guide.output('run').split('\n');
    const server = await startServer(p, serverLine!, expected[0]!, started);
    const probe = await p.command(probeLine!);
    assert.equal(probe.code, 0);
    assert.deepEqual(asShown(p, probe.stderr), expected.slice(1));
    server.child.kill('SIGTERM');
    // The drain is under way once the probe sees NOT_SERVING.
    let draining = await p.command(probeLine!);
    for (let i = 0; i < 50 && draining.code === 0; i++) draining = await p.command(probeLine!);
    assert.equal(draining.code, 4);
    assert.match(draining.stderr, /service unhealthy \(responded with "NOT_SERVING"\)/);
    const { code } = await within(server.exited, 30_000, 'the server to exit after the drain');
    assert.equal(code, 0);
  });
});

guideSuite('docs/metrics.md', readme, ({ project, guide, started }) => {
  it('a scrape shows the metric as the guide prints it', { timeout: 60_000 }, async () => {
    const p = project();
    const [serverLine, scrapeLine] = guide.commands('run');
    const expected = guide.output('run').split('\n');
    const server = p.start(serverLine!, { HOST: '127.0.0.1', METRICS_PORT: '0' });
    started.push(server);
    const [, port] = await server.waitFor(/metrics on port (\d+)/);
    p.ports.set('9464', port!);
    assert.deepEqual(asShown(p, server.output()), expected.slice(0, 1));
    const scrape = await p.command(scrapeLine!);
    assert.equal(scrape.code, 0, scrape.stderr);
    assert.deepEqual(asShown(p, scrape.stdout), expected.slice(1));
  });

  it('the table names every metric and instrument the code registers', async () => {
    // Read from the code, so that a renamed metric fails here until the guide follows.
    const text = await readFile(join(root, guide.path), 'utf8');
    const { Registry } = await import('prom-client');
    const { registerHealthMetrics } = await import('../../src/metrics/prometheus.js');
    const { registerHealthInstruments } = await import('../../src/metrics/opentelemetry.js');
    const { DependencyChecks, HealthServer } = await import('../../src/index.js');
    const health = new HealthServer();
    const checks = new DependencyChecks(health);
    const registry = new Registry();
    registerHealthMetrics(registry, { health, checks, balancer: true });
    const prometheus = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    const instruments: string[] = [];
    const record = (name: string) => (instruments.push(name), { record() {}, addCallback() {} });
    const meter = new Proxy({}, { get: (_target, method) => (String(method).startsWith('create') ? record : () => {}) });
    registerHealthInstruments(meter as never, { health, checks, balancer: true });
    assert.ok(prometheus.length >= 10 && instruments.length >= 10, `${prometheus.length} metrics, ${instruments.length} instruments`);
    for (const name of [...prometheus, ...instruments]) assert.ok(text.includes(`\`${name}`), `${guide.path} does not name ${name}`);
  });
});

guideSuite('docs/dashboard.md', readme, ({ project, guide, started }) => {
  it('two backends watched: the counts per status as the guide shows them', { timeout: 60_000 }, async () => {
    const p = project();
    for (const line of guide.commands('backends')) await serve(p, line, started);
    const line = guide.commands('dashboard')[0]!;
    const dashboard = p.start(line.replace(/-port \d+/, '-port 0'));
    started.push(dashboard);
    const [, port] = await dashboard.waitFor(/dashboard on http:\/\/127\.0\.0\.1:(\d+)/);
    p.ports.set('8080', port!);
    const expected = guide.output('cells').split('\n');
    // The watches answer within moments of the start.
    let cells = await p.command(guide.commands('cells')[0]!);
    for (let i = 0; i < 100 && asShown(p, cells.stdout).join('\n') !== expected.join('\n'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      cells = await p.command(guide.commands('cells')[0]!);
    }
    assert.deepEqual(asShown(p, cells.stdout), expected);
  });

  it('two shards: each backend watched by exactly one of them', { timeout: 60_000 }, async () => {
    const p = project();
    for (const line of guide.commands('backends')) await serve(p, line, started);
    let watched = 0;
    for (const [i, line] of guide.commands('shards').entries()) {
      const shard = p.start(line.replace(/-port \d+/, '-port 0'));
      started.push(shard);
      const [, count, shown] = await shard.waitFor(/ watching (\d+) backend\(s\) of 2 target\(s\), shard (\d+\/2)/);
      assert.equal(shown, `${i}/2`);
      watched += Number(count);
    }
    assert.equal(watched, 2);
  });
});

describe('the guides as a set', () => {
  const guides = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];
  const slug = (heading: string) =>
    heading
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replace(/ /g, '-');

  it('every TypeScript or JavaScript block is a file or a fragment the tests run or type-check', () => {
    for (const path of guides) {
      const lines = readFileSync(join(root, path), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^```(ts|typescript|js|javascript|mjs|tsx)\s*$/.test(line)) {
          assert.match(lines[i - 1] ?? '', /^<!-- (file|fragment): /, `${path}:${i + 1}: a code block without a file or fragment marker`);
        }
      });
    }
  });

  it('every guide with marked blocks has its suite here', async () => {
    const suites = await readFile(fileURLToPath(import.meta.url), 'utf8');
    for (const path of guides) {
      if (new Guide(path).blocks.length > 0) assert.ok(suites.includes(`'${path}'`), `${path} has marked blocks but no suite`);
    }
  });

  it('relative links point at files that exist, and anchors at headings they have', () => {
    for (const path of guides) {
      const text = readFileSync(join(root, path), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, anchor] = target!.split('#');
        const resolved = file ? join(root, dirname(path), file) : join(root, path);
        assert.ok(existsSync(resolved), `${path}: ${target} does not exist`);
        if (anchor && resolved.endsWith('.md')) {
          const headings = [...readFileSync(resolved, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1]!));
          assert.ok(headings.includes(anchor), `${path}: ${target}: no such heading`);
        }
      }
    }
  });
});
