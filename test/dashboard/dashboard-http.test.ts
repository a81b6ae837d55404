import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { HealthArgumentError } from '../../src/index.js';
import { type DashboardHttp, startDashboardHttp } from '../../src/dashboard/dashboard-http.js';
import { type FleetBackend, FleetState } from '../../src/dashboard/fleet-state.js';
import { within } from '../helpers.js';

function fetchText(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, type: String(response.headers['content-type']), body }));
    }).on('error', reject);
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

  it('sends round-trip times with the next status change, or within a second', async () => {
    const state = new FleetState(['']);
    state.addBackend('b:1', 'b:1');
    state.addBackend('b:2', 'b:2');
    const http = await start(state);
    const events = openEvents(`${http.url}events`);
    try {
      await events.next(); // snapshot
      const started = performance.now();
      state.setRtt('b:1', '', 2.5);
      state.setStatus('b:2', '', 'SERVING');
      const withStatus = await events.next();
      assert.deepEqual(withStatus.data.backends.map((b) => b.address).sort(), ['b:1', 'b:2'], 'the RTT rides with the status change');
      assert.equal(withStatus.data.backends.find((b) => b.address === 'b:1')!.cells['']!.rttMs, 2.5);
      state.setRtt('b:1', '', 3.5);
      const alone = await events.next();
      const waited = performance.now() - started;
      assert.equal(alone.data.backends[0]!.cells['']!.rttMs, 3.5);
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
      const reply = await within(rawRequest(http.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`), 3000, target);
      assert.match(reply, /^HTTP\/1.1 (400|404) /, target);
    }
    assert.match(
      await rawRequest(http.port, 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'),
      /^HTTP\/1.1 405 /,
    );
    assert.match(await rawRequest(http.port, 'NONSENSE\r\n\r\n'), /^HTTP\/1.1 400 /);
    const events = openEvents(`${http.url}events`);
    await events.next();
    const stalled = connect(http.port, '127.0.0.1');
    stalled.on('error', () => {});
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write('GET /api/state HTTP/1.1\r\nhost: x\r\n'); // never finished
    const started = Date.now();
    await within(http.close(), 3000, 'close()');
    assert.ok(Date.now() - started < 2000, `closed in ${Date.now() - started} ms`);
    events.close();
    stalled.destroy();
  });

  it('validates its options', async () => {
    const state = new FleetState(['']);
    await assert.rejects(startDashboardHttp(state, { port: 70000 }), HealthArgumentError);
    await assert.rejects(startDashboardHttp(state, { port: 0, flushMs: NaN }), HealthArgumentError);
    await assert.rejects(startDashboardHttp(state, { port: 0, closeTimeoutMs: -1 }), HealthArgumentError);
  });
});
