/**
 * Every guide, followed as written: a fresh project per guide with the packed package
 * (guide-project.ts), the guide's files verbatim, type-checked, its commands run, and
 * what it says they print or do checked. The block markers are described in guide.ts
 * and docs/development.md.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Guide } from './guide.js';
import { GuideProject, nodeRunsTypeScript, type Started, tarball } from './guide-project.js';

const readme = new Guide('README.md');
const skip = nodeRunsTypeScript ? false : `Node ${process.versions.node} does not run .ts files (22.18+ does)`;

/** Output lines with the real ports put back to the guide's defaults. */
function asShown(project: GuideProject, text: string): string[] {
  let shown = text;
  for (const [port, real] of project.ports) shown = shown.replace(new RegExp(`(?<!\\d)${real}(?!\\d)`, 'g'), port);
  return shown.trimEnd().split('\n');
}

/**
 * One guide's project, made before its tests and removed after them; `servers` started
 * by a test are killed after it.
 */
function guideSuite(path: string, base: Guide | undefined, body: (context: { project: () => GuideProject; guide: Guide; started: Started[] }) => void) {
  describe(path, { skip, timeout: 240_000 }, () => {
    const guide = path === 'README.md' ? readme : new Guide(path);
    let project: GuideProject | undefined;
    const started: Started[] = [];
    before(async () => {
      await tarball();
      project = await GuideProject.create(guide, base);
    }, { timeout: 200_000 });
    after(async () => {
      for (const program of started) program.kill();
      await project?.remove();
    });
    it('type-checks as written', { timeout: 120_000 }, () => project!.typeCheck());
    body({ project: () => project!, guide, started });
  });
}

guideSuite('README.md', undefined, ({ project, guide, started }) => {
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
    const draining = await p.command(probeLine!);
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
