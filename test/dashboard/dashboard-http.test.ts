import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { HealthArgumentError } from '../../src/index.js';
import { answerClientError, type DashboardHttp, startDashboardHttp } from '../../src/dashboard/dashboard-http.js';
import { type FleetBackend, FleetState } from '../../src/dashboard/fleet-state.js';
import { until, within } from '../helpers.js';

function fetchText(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, type: String(response.headers['content-type']), body, headers: response.headers }),
      );
    }).on('error', reject);
  });
}

/** A connected socket that keeps what it receives; `closed` resolves with all of it. */
function openSocket(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const closed = new Promise<string>((done) => socket.on('close', () => done(text)));
    socket.once('connect', () => resolve({ socket, received: () => text, closed }));
    socket.once('error', reject);
  });
}

/** What the snapshot and update events both carry. */
interface EventData {
  counts: Record<string, number>;
  backends: (FleetBackend & { removed?: true })[];
}

/** Reads Server-Sent Events from `url`; `next()` resolves with the next one. */
function openEvents(url: string): { next(): Promise<{ event: string; data: EventData }>; close(): void } {
  const queue: { event: string; data: EventData }[] = [];
  let wake: (() => void) | undefined;
  let response: IncomingMessage | undefined;
  let buffer = '';
  const request = get(url, { agent: false }, (res) => {
    response = res;
    res.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) queue.push({ event, data: JSON.parse(data) as EventData });
      }
      wake?.();
    });
  });
  request.on('error', () => {});
  return {
    async next() {
      while (queue.length === 0) await within(new Promise<void>((resolve) => (wake = resolve)), 5000, 'an event');
      return queue.shift()!;
    },
    close() {
      response?.destroy();
      request.destroy();
    },
  };
}

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let reply = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk));
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
  });
}

describe('dashboard HTTP', { timeout: 20_000 }, () => {
  const servers: DashboardHttp[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));
  const start = async (state: FleetState) => {
    const http = await startDashboardHttp(state, { port: 0, flushMs: 5, closeTimeoutMs: 200 });
    servers.push(http);
    return http;
  };

  it('serves the page, the state as JSON and Prometheus metrics', async () => {
    const state = new FleetState(['', 'orders.Orders']);
    state.addBackend('127.0.0.2:1', 'dns:///fleet:1');
    state.setStatus('127.0.0.2:1', 'orders.Orders', 'NOT_SERVING');
    state.setRtt('127.0.0.2:1', '', 1.25);
    const http = await start(state);
    const page = await fetchText(http.url);
    assert.equal(page.status, 200);
    assert.match(page.type, /text\/html/);
    assert.match(page.body, /new EventSource\("events"\)/);
    assert.doesNotMatch(page.body, /https?:\/\/(?!www\.w3)/, 'no external asset');
    const json = JSON.parse((await fetchText(`${http.url}api/state`)).body);
    assert.equal(json.backends[0].cells['orders.Orders'].status, 'NOT_SERVING');
    assert.equal(json.counts.NOT_SERVING, 1);
    const metrics = (await fetchText(`${http.url}metrics`)).body;
    assert.match(
      metrics,
      /^grpc_health_backend_state\{target="dns:\/\/\/fleet:1",address="127.0.0.2:1",service="orders.Orders",state="NOT_SERVING"\} 1$/m,
    );
    assert.match(
      metrics,
      /^grpc_health_backend_check_rtt_seconds\{target="dns:\/\/\/fleet:1",address="127.0.0.2:1",service=""\} 0.00125$/m,
    );
    assert.match(metrics, /^grpc_health_backend_state_changes_total\{[^}]*service="orders.Orders"\} 1$/m);
    assert.match(metrics, /^grpc_health_dashboard_backends 1$/m);
  });

  it('streams a snapshot, then coalesced updates and removals', async () => {
    const state = new FleetState(['']);
    state.addBackend('b:1', 'b:1');
    const http = await start(state);
    const events = openEvents(`${http.url}events`);
    try {
      const first = await events.next();
      assert.equal(first.event, 'snapshot');
      assert.equal(first.data.backends[0].cells[''].status, 'CONNECTING');
      state.setStatus('b:1', '', 'SERVING');
      state.setStatus('b:1', '', 'NOT_SERVING');
      const update = await events.next();
      assert.equal(update.event, 'update');
      assert.equal(update.data.backends.length, 1, 'two changes of one backend in one event');
      assert.equal(update.data.backends[0].cells[''].status, 'NOT_SERVING');
      assert.equal(update.data.counts.NOT_SERVING, 1);
      state.removeBackend('b:1');
      assert.deepEqual((await events.next()).data.backends, [{ address: 'b:1', removed: true }]);
    } finally {
      events.close();
    }
  });

  it('sends round-trip times alone once a second as compact tuples, and whole backends only for other changes', async () => {
    const state = new FleetState(['', 'a']);
    state.addBackend('b:1', 'b:1');
    state.addBackend('b:2', 'b:2');
    state.addBackend('b:3', 'b:3');
    const http = await start(state);
    const events = openEvents(`${http.url}events`);
    try {
      await events.next(); // snapshot
      const started = performance.now();
      state.setRtt('b:1', '', 2.5);
      state.setRtt('b:3', 'a', 9);
      state.setStatus('b:2', '', 'SERVING');
      state.setRtt('b:2', '', 1.5); // rides with its backend's status change
      const update = await events.next();
      assert.equal(update.event, 'update');
      assert.deepEqual(
        update.data.backends.map((b) => b.address),
        ['b:2'],
        'an RTT-only change is not a whole backend in the update',
      );
      assert.equal(update.data.backends[0]!.cells['']!.rttMs, 1.5);
      state.setRtt('b:1', '', 3.5); // the newest time is the one sent
      state.setRtt('b:3', 'a', undefined); // a failed Check: no time
      state.removeBackend('b:3'); // gone before the RTT event: not in it
      assert.deepEqual((await events.next()).data.backends, [{ address: 'b:3', removed: true }]);
      const rtt = (await events.next()) as unknown as { event: string; data: unknown };
      const waited = performance.now() - started;
      assert.equal(rtt.event, 'rtt');
      assert.deepEqual(rtt.data, [
        ['b:1', '', 3.5],
        ['b:1', 'a', null],
      ]);
      assert.ok(waited >= 900 && waited < 5000, `an RTT alone waited ${waited.toFixed(0)} ms`);
    } finally {
      events.close();
    }
  });

  it('follows a snapshot larger than the socket buffer with updates', async () => {
    const state = new FleetState(['', 'a', 'b']);
    for (let i = 0; i < 1000; i += 1) state.addBackend(`127.0.${i >> 8}.${i & 255}:50051`, 'dns:///fleet.example:50051');
    const http = await start(state);
    const events = openEvents(`${http.url}events`);
    try {
      const snapshot = await events.next();
      assert.ok(JSON.stringify(snapshot.data).length > 256 * 1024, 'the snapshot is larger than any socket buffer');
      state.setStatus('127.0.0.7:50051', 'a', 'SERVING');
      const update = await events.next();
      assert.equal(update.event, 'update');
      assert.equal(update.data.backends[0].cells.a.status, 'SERVING');
    } finally {
      events.close();
    }
  });

  it('answers any request target and method, and closes within its bound with streams and stalled requests open', async () => {
    const state = new FleetState(['']);
    const http = await startDashboardHttp(state, { port: 0, closeTimeoutMs: 200 });
    for (const target of ['//[', 'http://[', '//a:99999/', '//%zz%/x', '//x:y@/', '/%', '/../../etc/passwd', '*']) {
      const reply = await within(
        rawRequest(http.port, `GET ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`),
        3000,
        target,
      );
      assert.match(reply, /^HTTP\/1.1 (400|404|421) /, target);
    }
    assert.match(
      await rawRequest(http.port, 'POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'),
      /^HTTP\/1.1 405 /,
    );
    assert.match(await rawRequest(http.port, 'NONSENSE\r\n\r\n'), /^HTTP\/1.1 400 /);
    // CONNECT is handed over as a raw socket: answered too, and closed (the client does not end its side).
    const tunnel = await openSocket(http.port);
    tunnel.socket.write('CONNECT 127.0.0.1:1 HTTP/1.1\r\nhost: 127.0.0.1:1\r\n\r\n');
    assert.match(await within(tunnel.closed, 5000, 'CONNECT'), /^HTTP\/1.1 405 [^]*\r\nallow: GET, HEAD\r\n/);
    const events = openEvents(`${http.url}events`);
    await events.next();
    const stalled = connect(http.port, '127.0.0.1');
    stalled.on('error', () => {});
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write('GET /api/state HTTP/1.1\r\nhost: 127.0.0.1\r\n'); // never finished
    const started = Date.now();
    await within(http.close(), 3000, 'close()');
    assert.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`);
    events.close();
    stalled.destroy();
  });

  it('drops event streams whose clients stop reading, so 60 of them hold about a snapshot each, not megabytes', async () => {
    const state = new FleetState(['', 'a', 'b']);
    const addresses = Array.from({ length: 1000 }, (_, i) => `127.0.${i >> 8}.${i & 255}:50051`);
    for (const address of addresses) state.addBackend(address, 'dns:///fleet.example:50051');
    // flushMs 0: each flip's update is written on the next turn, where the test measures it.
    const http = await startDashboardHttp(state, { port: 0, flushMs: 0, closeTimeoutMs: 200 });
    servers.push(http);
    const snapshotBytes = Buffer.byteLength(JSON.stringify(state.snapshot()));
    const stalled: Socket[] = [];
    for (let i = 0; i < 60; i += 1) {
      const { socket } = await openSocket(http.port);
      socket.pause(); // never reads: the kernel's buffers fill, then Node's
      socket.on('error', () => {});
      stalled.push(socket);
      socket.write('GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    }
    await until(() => http.eventStreams().open === 60, 10_000, '60 event streams');
    let most = 0;
    for (let flip = 0; flip < 400 && http.eventStreams().open > 0; flip += 1) {
      for (const address of addresses) state.setStatus(address, 'a', flip % 2 ? 'SERVING' : 'NOT_SERVING');
      // Each flip of the whole fleet is an update event as large as a snapshot now (timelines grow).
      // A stream may hold its first snapshot or one such event, plus slack, before it is dropped.
      const bound = 60 * (Math.max(snapshotBytes, Buffer.byteLength(JSON.stringify(state.snapshot()))) * 2 + 256 * 1024);
      await new Promise((resolve) => setImmediate(resolve)); // the update was written before this turn
      const buffered = http.eventStreams().bufferedBytes;
      most = Math.max(most, buffered);
      assert.ok(
        buffered <= bound,
        `${(buffered / 2 ** 20).toFixed(1)} MiB buffered for 60 stalled streams (bound ${(bound / 2 ** 20).toFixed(1)} MiB)`,
      );
      await new Promise((resolve) => setTimeout(resolve, 5)); // lets the sockets move bytes to the kernel
    }
    assert.equal(http.eventStreams().open, 0, 'every stalled stream dropped');
    if (process.env.DASHBOARD_FIGURES) console.log(`snapshot ${snapshotBytes} B; most buffered for 60 stalled streams: ${most} B`);
    assert.equal(http.eventStreams().bufferedBytes, 0);
    // A reader that keeps up still gets its snapshot and updates.
    const events = openEvents(`${http.url}events`);
    try {
      assert.equal((await events.next()).event, 'snapshot');
      state.setStatus(addresses[0]!, 'b', 'SERVING');
      assert.equal((await events.next()).event, 'update');
    } finally {
      events.close();
      for (const socket of stalled) socket.destroy();
    }
  });

  it('caps concurrent event streams: one more is answered 503 with Retry-After', async () => {
    const state = new FleetState(['']);
    const http = await startDashboardHttp(state, { port: 0, closeTimeoutMs: 200, maxEventStreams: 2 });
    servers.push(http);
    const [one, two] = [openEvents(`${http.url}events`), openEvents(`${http.url}events`)];
    try {
      await one.next();
      await two.next();
      const refused = await fetchText(`${http.url}events`);
      assert.equal(refused.status, 503);
      assert.match(String(refused.headers['retry-after']), /^\d+$/);
      assert.match(refused.body, /too many event streams/);
      assert.equal((await fetchText(`${http.url}api/state`)).status, 200, 'the rest is still served');
      one.close();
      await until(() => http.eventStreams().open === 1, 5000, 'the closed stream to be forgotten');
      const three = openEvents(`${http.url}events`);
      assert.equal((await three.next()).event, 'snapshot');
      three.close();
    } finally {
      one.close();
      two.close();
    }
  });

  it('answers HEAD on every route with headers only, and the next request on the connection too', async () => {
    const state = new FleetState(['']);
    state.addBackend('b:1', 'b:1');
    const http = await start(state);
    for (const [path, status] of [
      ['/', 200],
      ['/api/state', 200],
      ['/metrics', 200],
      ['/events', 200],
      ['/nope', 404],
    ] as const) {
      const reply = await within(
        rawRequest(http.port, `HEAD ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`),
        3000,
        `HEAD ${path}`,
      );
      assert.match(reply, new RegExp(`^HTTP/1.1 ${status} `), path);
      assert.equal(reply.split('\r\n\r\n')[1], '', `${path}: no body`);
    }
    const pipelined = await within(
      rawRequest(
        http.port,
        'HEAD /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\nGET /api/state HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n',
      ),
      3000,
      'a request after HEAD /events',
    );
    assert.match(pipelined, /^HTTP\/1.1 200 [^]*content-type: text\/event-stream[^]*HTTP\/1.1 200 [^]*"address":"b:1"/i);
    assert.equal(http.eventStreams().open, 0);
    // A client that asks to close after HEAD /events is answered so, and the connection is closed.
    const head = await openSocket(http.port);
    head.socket.write('HEAD /events HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n');
    const headers = await within(head.closed, 10_000, 'HEAD /events with connection: close');
    assert.match(headers, /^HTTP\/1.1 200 [^]*\r\nconnection: close\r\n/i);
    assert.doesNotMatch(headers, /keep-alive/i);
  });

  it('never writes an error reply into an open event stream; answers 431 for headers too large', async () => {
    const state = new FleetState(['']);
    const http = await start(state);
    const stream = await openSocket(http.port);
    stream.socket.write('GET /events HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await until(() => stream.received().includes('event: snapshot'), 5000, 'the snapshot');
    stream.socket.write('NONSENSE\r\n\r\n');
    const text = await within(stream.closed, 5000, 'the stream to be closed');
    assert.doesNotMatch(text, /HTTP\/1.1 400/, 'no reply inside the event stream');
    const big = await rawRequest(http.port, `GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1.1 431 /);
  });

  it('answers a parser error as Node would: 408 for a timeout, 400 otherwise', async () => {
    const accepted: Socket[] = [];
    const tcp = createTcpServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    try {
      for (const [code, status] of [
        ['ERR_HTTP_REQUEST_TIMEOUT', 408],
        ['HPE_HEADER_OVERFLOW', 431],
        ['HPE_INVALID_METHOD', 400],
      ] as const) {
        const client = await openSocket((tcp.address() as { port: number }).port);
        await until(() => accepted.length > 0, 5000, 'the connection');
        answerClientError(Object.assign(new Error(code), { code }), accepted.shift()!);
        assert.match(await within(client.closed, 5000, code), new RegExp(`^HTTP/1.1 ${status} `), code);
      }
    } finally {
      tcp.close();
    }
  });

  it('serves only requests that name it in Host', async () => {
    const state = new FleetState(['']);
    state.addBackend('10.9.9.9:1', 'dns:///secret.internal:1');
    const http = await startDashboardHttp(state, { port: 0, closeTimeoutMs: 200, allowedHosts: ['dash.example'] });
    servers.push(http);
    for (const host of ['evil.example', `evil.example:${http.port}`, '[::1]', 'localhost.evil.example', '127.0.0.1.evil.example', 'a b']) {
      for (const path of ['/', 'api/state', 'metrics', 'events']) {
        const reply = await fetchText(`${http.url}${path.replace(/^\//, '')}`, { host });
        assert.equal(reply.status, 421, `${host} ${path}`);
        assert.equal(reply.body.trim().split('\n').length, 1);
        assert.doesNotMatch(reply.body, /10\.9\.9\.9|secret/, 'nothing about the fleet');
      }
    }
    for (const host of [`127.0.0.1:${http.port}`, '127.0.0.1', `localhost:${http.port}`, 'LOCALHOST.', 'dash.example:443']) {
      assert.equal((await fetchText(`${http.url}api/state`, { host })).status, 200, host);
    }
  });

  it('takes the host from a request target in absolute form, not from Host', async () => {
    const state = new FleetState(['']);
    state.addBackend('10.9.9.9:1', 'dns:///secret.internal:1');
    const http = await start(state);
    const status = async (target: string, host: string) => {
      const reply = await rawRequest(http.port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      return { status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(reply)?.[1]), reply };
    };
    for (const [target, host] of [
      [`http://127.0.0.1:${http.port}/api/state`, `127.0.0.1:${http.port}`],
      [`http://localhost:${http.port}/api/state?x=1`, 'evil.example'],
    ] as const) {
      const { status: code, reply } = await status(target, host);
      assert.equal(code, 200, `${target} (Host ${host})`);
      assert.match(reply, /10\.9\.9\.9/);
    }
    assert.equal((await status(`HTTP://LOCALHOST:${http.port}`, 'localhost')).status, 200, 'no path: the page');
    for (const target of ['http://evil.example/api/state', `http://user@127.0.0.1:${http.port}/api/state`]) {
      const { status: code, reply } = await status(target, `127.0.0.1:${http.port}`);
      assert.equal(code, 421, target);
      assert.doesNotMatch(reply, /10\.9\.9\.9|secret/);
    }
  });

  it('serves the page with a Content-Security-Policy that allows its own inline script and style only', async () => {
    const http = await start(new FleetState(['']));
    const page = await fetchText(http.url);
    const csp = String(page.headers['content-security-policy']);
    const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const scripts = [...page.body.matchAll(/<script>([^]*?)<\/script>/g)].map((m) => m[1]!);
    const styles = [...page.body.matchAll(/<style>([^]*?)<\/style>/g)].map((m) => m[1]!);
    assert.ok(scripts.length > 0 && styles.length > 0);
    const directive = (name: string) => new RegExp(`(?:^|; )${name} ([^;]*)`).exec(csp)?.[1]?.split(' ') ?? [];
    assert.deepEqual(directive('script-src').sort(), scripts.map(sha).sort());
    assert.deepEqual(directive('style-src').sort(), styles.map(sha).sort());
    for (const rule of ["default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) {
      assert.ok(csp.includes(rule), rule);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    // What the policy would block: inline style attributes and inline event handlers.
    assert.doesNotMatch(page.body, /\sstyle\s*=|<[^>]+\son[a-z]+\s*=/i);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    for (const path of ['', 'api/state', 'metrics', 'nope']) {
      assert.equal((await fetchText(`${http.url}${path}`)).headers['x-content-type-options'], 'nosniff', path);
    }
  });

  it('carries target rows and the shard in the JSON, /metrics and the event stream', async () => {
    const state = new FleetState(['']);
    state.shard = { index: 1, count: 3 };
    state.setTarget({ target: 'dns:///gone.invalid:1', addresses: [], error: 'getaddrinfo ENOTFOUND gone.invalid', nextAttemptAt: 5 });
    state.setTarget({ target: 'dns:///ok:1', addresses: ['127.0.0.2:1', '127.0.0.3:1'], lastResolvedAt: 4 });
    const http = await start(state);
    const json = JSON.parse((await fetchText(`${http.url}api/state`)).body);
    assert.deepEqual(json.shard, { index: 1, count: 3 });
    assert.equal(json.targets[0].error, 'getaddrinfo ENOTFOUND gone.invalid');
    const metrics = (await fetchText(`${http.url}metrics`)).body;
    assert.match(metrics, /^grpc_health_dashboard_target_resolved\{target="dns:\/\/\/gone.invalid:1"\} 0$/m);
    assert.match(metrics, /^grpc_health_dashboard_target_resolved\{target="dns:\/\/\/ok:1"\} 1$/m);
    assert.match(metrics, /^grpc_health_dashboard_target_addresses\{target="dns:\/\/\/ok:1"\} 2$/m);
    assert.match(metrics, /^grpc_health_dashboard_shard_info\{shard="1",shards="3"\} 1$/m);
    const events = openEvents(`${http.url}events`);
    try {
      const snapshot = await events.next();
      assert.equal((snapshot.data as unknown as { targets: unknown[] }).targets.length, 2);
      state.setTarget({ target: 'dns:///gone.invalid:1', addresses: ['127.0.0.4:1'], lastResolvedAt: 6 });
      const change = await events.next();
      assert.equal(change.event, 'target');
      assert.deepEqual(change.data, { target: 'dns:///gone.invalid:1', addresses: ['127.0.0.4:1'], lastResolvedAt: 6 });
    } finally {
      events.close();
    }
  });

  it('validates its options', async () => {
    const state = new FleetState(['']);
    await assert.rejects(startDashboardHttp(state, { port: 0, maxEventStreams: 0 }), HealthArgumentError);
    await assert.rejects(startDashboardHttp(state, { port: 0, allowedHosts: ['a/b'] }), HealthArgumentError);
    await assert.rejects(startDashboardHttp(state, { port: 70000 }), HealthArgumentError);
    await assert.rejects(startDashboardHttp(state, { port: 0, flushMs: NaN }), HealthArgumentError);
    await assert.rejects(startDashboardHttp(state, { port: 0, closeTimeoutMs: -1 }), HealthArgumentError);
  });
});
