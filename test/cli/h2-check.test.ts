/**
 * The check path's own gRPC over HTTP/2 (src/cli/h2-check.ts) against raw
 * `node:http2` servers that misbehave on purpose: every HTTP/2 and HTTP answer
 * mapped to the gRPC code and words grpc-go reports, and what the call sends.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { createServer as createHttp1Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import {
  HealthCheckRequest,
  HealthCheckResponse,
  type HealthCheckResponse_ServingStatus,
} from '../../src/generated/wire/grpc/health/v1/health.js';
import { CallError, type CheckOptions, endpointOf, grpcTimeout, openSession, rstToGrpc } from '../../src/cli/h2-check.js';
import { within } from '../helpers.js';
import { runCli } from './run-cli.js';

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

/** A raw HTTP/2 server on 127.0.0.1:0 whose every stream goes to `handler`; `sockets` are the TCP connections under it. */
async function rawServer(handler: Handler) {
  const server = http2.createServer();
  const sockets: Socket[] = [];
  server.on('connection', (socket: Socket) => sockets.push(socket));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    handler(stream, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    addr,
    sessions,
    sockets,
    close() {
      for (const session of sessions) session.destroy();
      server.close();
    },
  };
}

/** A gRPC message frame (flag, length, bytes). */
function frame(message: Uint8Array, compressed = false): Buffer {
  const header = Buffer.alloc(5);
  header[0] = compressed ? 1 : 0;
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

const SERVING = HealthCheckResponse.encode({ status: 1 }).finish();

/** Answers with `body` and then `trailers`, as a gRPC server does. */
function answer(
  stream: http2.ServerHttp2Stream,
  body: Buffer,
  trailers: http2.OutgoingHttpHeaders,
  headers: http2.OutgoingHttpHeaders = {},
) {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...headers }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  stream.end(body);
}

/** One Check through the module; its status name, or [gRPC code, details]. */
async function call(addr: string, options: Partial<CheckOptions> = {}, service = ''): Promise<string | [number, string]> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort('no connection'), 5000);
  const session = await openSession(endpointOf(addr), stop.signal).finally(() => clearTimeout(timer));
  try {
    const signal = new AbortController().signal;
    return await within(
      session.check(service, { timeoutMs: 5000, userAgent: 'test', headers: [], gzip: false, signal, ...options }),
      8000,
      'the call',
    );
  } catch (error) {
    if (error instanceof CallError) return [error.code, error.details];
    throw error;
  } finally {
    session.close();
  }
}

describe('h2-check: RST_STREAM codes → gRPC codes (grpc-go http2ErrConvTab)', () => {
  const expected: [name: string, code: number, grpc: number][] = [
    ['NO_ERROR', 0, 13],
    ['PROTOCOL_ERROR', 1, 13],
    ['INTERNAL_ERROR', 2, 13],
    ['FLOW_CONTROL_ERROR', 3, 8],
    ['SETTINGS_TIMEOUT', 4, 13],
    ['STREAM_CLOSED', 5, 13],
    ['FRAME_SIZE_ERROR', 6, 13],
    ['REFUSED_STREAM', 7, 14],
    ['CANCEL', 8, 1],
    ['COMPRESSION_ERROR', 9, 13],
    ['CONNECT_ERROR', 10, 13],
    ['ENHANCE_YOUR_CALM', 11, 8],
    ['INADEQUATE_SECURITY', 12, 7],
    ['HTTP_1_1_REQUIRED', 13, 13],
  ];
  let server: Awaited<ReturnType<typeof rawServer>>;
  let rstCode = 0;
  before(async () => {
    server = await rawServer((stream) => stream.close(rstCode));
  });
  after(() => server.close());

  for (const [name, code, grpc] of expected) {
    it(`${name} → ${grpc}, "stream terminated by RST_STREAM with error code: ${name}"`, async () => {
      rstCode = code;
      assert.deepEqual(await call(server.addr), [grpc, `stream terminated by RST_STREAM with error code: ${name}`]);
    });
  }

  it('a code HTTP/2 does not define → UNKNOWN', () => {
    assert.equal(rstToGrpc(0x42), 2);
  });

  it('the CLI prints it in grpc-go\'s words: 3, "code = ResourceExhausted desc = stream terminated by RST_STREAM ..."', async () => {
    rstCode = 11;
    const result = await runCli(['-addr', server.addr]);
    assert.equal(result.code, 3);
    assert.equal(
      result.stderr,
      'error: health rpc failed: rpc error: code = ResourceExhausted desc = stream terminated by RST_STREAM with error code: ENHANCE_YOUR_CALM\n',
    );
  });
});

describe('h2-check: GOAWAY and a lost connection → UNAVAILABLE', () => {
  it('GOAWAY that leaves the stream unprocessed: "the stream is rejected because server is draining the connection"', async () => {
    // node:http2 will not send a GOAWAY below a stream it received: a peer that frames HTTP/2 by hand.
    const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]); // SETTINGS, empty
    const goawayLast0 = Buffer.from([0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // GOAWAY, last stream 0, NO_ERROR
    const peer = createTcpServer((socket) => {
      socket.on('error', () => {});
      socket.write(settings);
      let seen = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        seen = Buffer.concat([seen, chunk]);
        // After the 24-byte preface, frames: 3-byte length, type, flags, stream id. A HEADERS (type 1) → GOAWAY.
        for (let at = 24; at + 9 <= seen.length; at += 9 + seen.readUIntBE(at, 3)) {
          if (seen[at + 3] === 0x1) return socket.write(goawayLast0);
        }
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    try {
      const addr = `127.0.0.1:${(peer.address() as AddressInfo).port}`;
      assert.deepEqual(await call(addr), [14, 'the stream is rejected because server is draining the connection']);
    } finally {
      peer.close();
    }
  });

  it('GOAWAY NO_ERROR after the stream, then the connection closes: "received prior goaway: code: NO_ERROR"', async () => {
    const server = await rawServer((stream) => {
      stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
      setImmediate(() => server.sockets.at(-1)!.destroy());
    });
    try {
      assert.deepEqual(await call(server.addr), [
        14,
        'closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: NO_ERROR',
      ]);
    } finally {
      server.close();
    }
  });

  it('GOAWAY ENHANCE_YOUR_CALM "too_many_pings", then the connection closes: the reason in the message', async () => {
    const server = await rawServer((stream) => {
      stream.session!.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, stream.id, Buffer.from('too_many_pings'));
      setImmediate(() => stream.session!.destroy());
    });
    try {
      assert.deepEqual(await call(server.addr), [
        14,
        'closing transport due to: connection error: desc = "error reading from server: EOF", received prior goaway: code: ENHANCE_YOUR_CALM, debug data: "too_many_pings"',
      ]);
    } finally {
      server.close();
    }
  });

  it('the connection drops during the call: UNAVAILABLE "error reading from server: EOF"', async () => {
    const server = await rawServer(() => server.sockets.at(-1)!.destroy());
    try {
      assert.deepEqual(await call(server.addr), [14, 'connection error: desc = "error reading from server: EOF"']);
    } finally {
      server.close();
    }
  });
});

describe('h2-check: a response that is not gRPC → the code of its HTTP status (http-grpc-status-mapping.md)', () => {
  let server: Awaited<ReturnType<typeof rawServer>>;
  let reply: http2.OutgoingHttpHeaders = {};
  before(async () => {
    server = await rawServer((stream) => {
      stream.respond(reply);
      stream.end('not gRPC');
    });
  });
  after(() => server.close());

  const cases: [status: number, grpc: number, text: string][] = [
    [400, 13, 'Bad Request'],
    [401, 16, 'Unauthorized'],
    [403, 7, 'Forbidden'],
    [404, 12, 'Not Found'],
    [429, 14, 'Too Many Requests'],
    [500, 2, 'Internal Server Error'],
    [502, 14, 'Bad Gateway'],
    [503, 14, 'Service Unavailable'],
    [504, 14, 'Gateway Timeout'],
  ];
  for (const [status, grpc, text] of cases) {
    it(`HTTP ${status} text/plain → ${grpc}`, async () => {
      reply = { ':status': status, 'content-type': 'text/plain' };
      assert.deepEqual(await call(server.addr), [
        grpc,
        `unexpected HTTP status code received from server: ${status} (${text}); transport: received unexpected content-type "text/plain"`,
      ]);
    });
  }

  it('HTTP 200 with another content type → UNKNOWN; with none → "missing HTTP content-type"', async () => {
    reply = { ':status': 200, 'content-type': 'text/html' };
    assert.deepEqual(await call(server.addr), [
      2,
      'unexpected HTTP status code received from server: 200 (OK); transport: received unexpected content-type "text/html"',
    ]);
    reply = { ':status': 200 };
    assert.deepEqual(await call(server.addr), [
      2,
      'unexpected HTTP status code received from server: 200 (OK); malformed header: missing HTTP content-type',
    ]);
  });

  it('the CLI on an HTTP 404: 3, "does not implement the grpc health protocol"', async () => {
    reply = { ':status': 404, 'content-type': 'text/plain' };
    const result = await runCli(['-addr', server.addr]);
    assert.equal(result.code, 3);
    assert.equal(
      result.stderr,
      'error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unexpected HTTP status code received from server: 404 (Not Found); transport: received unexpected content-type "text/plain"\n',
    );
  });

  it('a server that speaks HTTP/1.1 only: never connected, 2 "timeout: failed to connect service"', async () => {
    const http1 = createHttp1Server((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => http1.listen(0, '127.0.0.1', resolve));
    const addr = `127.0.0.1:${(http1.address() as AddressInfo).port}`;
    try {
      const result = await runCli(['-addr', addr, '-connect-timeout', '300ms']);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `timeout: failed to connect service "${addr}" within 300ms\n`);
    } finally {
      http1.close();
    }
  });
});

describe('h2-check: statuses, messages and framing', () => {
  let server: Awaited<ReturnType<typeof rawServer>>;
  let handler: Handler = () => {};
  before(async () => {
    server = await rawServer((stream, headers) => handler(stream, headers));
  });
  after(() => server.close());

  it('Trailers-Only: grpc-status and the percent-decoded grpc-message from the headers', async () => {
    handler = (stream) =>
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'unknown service %22caf%C3%A9%22 100%' },
        { endStream: true },
      );
    assert.deepEqual(await call(server.addr), [5, 'unknown service "café" 100%']);
  });

  it('the status in the trailers after a message', async () => {
    handler = (stream) => answer(stream, Buffer.alloc(0), { 'grpc-status': '7', 'grpc-message': 'no%20way' });
    assert.deepEqual(await call(server.addr), [7, 'no way']);
  });

  it('trailers without grpc-status → UNKNOWN; a malformed one → UNKNOWN "malformed grpc-status"', async () => {
    handler = (stream) => answer(stream, frame(SERVING), { 'x-other': '1' });
    assert.deepEqual(await call(server.addr), [2, '']);
    handler = (stream) => answer(stream, frame(SERVING), { 'grpc-status': 'zero' });
    assert.deepEqual(await call(server.addr), [2, 'transport: malformed grpc-status: strconv.ParseInt: parsing "zero": invalid syntax']);
  });

  it('the stream ends without trailers → INTERNAL "server closed the stream without sending trailers"', async () => {
    handler = (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.end(frame(SERVING));
    };
    assert.deepEqual(await call(server.addr), [13, 'server closed the stream without sending trailers']);
  });

  it('OK with no message, or with two → INTERNAL "cardinality violation"', async () => {
    handler = (stream) => answer(stream, Buffer.alloc(0), { 'grpc-status': '0' });
    assert.deepEqual(await call(server.addr), [13, 'cardinality violation: received no response message from non-server-streaming RPC']);
    handler = (stream) => answer(stream, Buffer.concat([frame(SERVING), frame(SERVING)]), { 'grpc-status': '0' });
    assert.deepEqual(await call(server.addr), [
      13,
      'cardinality violation: expected <EOF> for non server-streaming RPCs, but received another message',
    ]);
  });

  it('a message over 4 MiB → RESOURCE_EXHAUSTED, read no further', async () => {
    handler = (stream) => {
      const header = Buffer.alloc(5);
      header.writeUInt32BE(64 * 1024 * 1024, 1);
      answer(stream, header, { 'grpc-status': '0' });
    };
    assert.deepEqual(await call(server.addr), [8, `grpc: received message larger than max (${64 * 1024 * 1024} vs. 4194304)`]);
  });

  it('a truncated message → INTERNAL "unexpected EOF"; bytes that are not a response → INTERNAL "failed to unmarshal"', async () => {
    handler = (stream) => answer(stream, frame(SERVING).subarray(0, 6), { 'grpc-status': '0' });
    assert.deepEqual(await call(server.addr), [13, 'unexpected EOF']);
    handler = (stream) => answer(stream, frame(Buffer.from([0xff, 0xff, 0xff])), { 'grpc-status': '0' });
    assert.deepEqual(await call(server.addr), [
      13,
      'grpc: failed to unmarshal the received message: proto: cannot parse invalid wire-format data',
    ]);
  });

  it('compressed answers: gzip read; the flag without an encoding, or an unknown encoding → INTERNAL', async () => {
    handler = (stream) => answer(stream, frame(gzipSync(SERVING), true), { 'grpc-status': '0' }, { 'grpc-encoding': 'gzip' });
    assert.equal(await call(server.addr, { gzip: true }), 'SERVING');
    handler = (stream) => answer(stream, frame(SERVING, true), { 'grpc-status': '0' });
    assert.deepEqual(await call(server.addr), [13, 'grpc: compressed flag set with identity or empty encoding']);
    handler = (stream) => answer(stream, frame(SERVING, true), { 'grpc-status': '0' }, { 'grpc-encoding': 'snappy' });
    assert.deepEqual(await call(server.addr), [13, 'grpc: Decompressor is not installed for grpc-encoding "snappy"']);
  });

  it('a status this version does not name reads as its number (as Go prints an unknown enum)', async () => {
    handler = (stream) =>
      answer(stream, frame(HealthCheckResponse.encode({ status: 9 as HealthCheckResponse_ServingStatus }).finish()), {
        'grpc-status': '0',
      });
    assert.equal(await call(server.addr), '9');
  });

  it('sends: POST to the Check path, application/grpc, te: trailers, grpc-timeout, user-agent, metadata (-bin base64), gzip', async () => {
    let seen: http2.IncomingHttpHeaders = {};
    let request: Buffer = Buffer.alloc(0);
    handler = (stream, headers) => {
      seen = headers;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        request = Buffer.concat(chunks);
        answer(stream, frame(SERVING), { 'grpc-status': '0' });
      });
    };
    const headers: [string, string | Buffer][] = [
      ['x-token', 'a'],
      ['x-token', 'b'],
      ['x-bin', Buffer.from('abcd')],
    ];
    assert.equal(await call(server.addr, { timeoutMs: 90_000, userAgent: 'kube-probe/1.31', headers }, 'svc.A'), 'SERVING');
    assert.equal(seen[':method'], 'POST');
    assert.equal(seen[':path'], '/grpc.health.v1.Health/Check');
    assert.equal(seen[':authority'], server.addr);
    assert.equal(seen['content-type'], 'application/grpc');
    assert.equal(seen.te, 'trailers');
    assert.equal(seen['grpc-timeout'], '90000000u');
    assert.equal(seen['user-agent'], 'kube-probe/1.31');
    assert.equal(seen['x-token'], 'a, b');
    assert.equal(seen['x-bin'], 'YWJjZA'); // base64 without padding, as grpc-go sends it
    assert.equal(seen['grpc-encoding'], undefined);
    assert.equal(request[0], 0);
    assert.equal(HealthCheckRequest.decode(request.subarray(5)).service, 'svc.A');

    assert.equal(await call(server.addr, { gzip: true }, 'svc.B'), 'SERVING');
    assert.equal(seen['grpc-encoding'], 'gzip');
    assert.equal(seen['grpc-accept-encoding'], 'gzip');
    assert.equal(request[0], 1);
  });

  it('several -service flags: one connection, one stream each', async () => {
    handler = (stream) => answer(stream, frame(SERVING), { 'grpc-status': '0' });
    const before = server.sessions.size;
    const result = await runCli(['-addr', server.addr, '-service', 'a', '-service', 'b', '-service', 'c']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(server.sessions.size, before + 1);
  });
});

describe('h2-check: targets and grpc-timeout', () => {
  it('reads targets as grpc-go and grpc-js do', () => {
    assert.deepEqual(endpointOf('unix:///run/app.sock'), { authority: 'localhost', path: '/run/app.sock' });
    assert.deepEqual(endpointOf('unix:app.sock'), { authority: 'localhost', path: 'app.sock' });
    assert.deepEqual(endpointOf('127.0.0.1:5000'), { authority: '127.0.0.1:5000', host: '127.0.0.1', port: 5000 });
    assert.deepEqual(endpointOf('dns:///127.0.0.1:5000'), { authority: '127.0.0.1:5000', host: '127.0.0.1', port: 5000 });
    assert.deepEqual(endpointOf('ipv4:127.0.0.2:1,127.0.0.3:2'), { authority: '127.0.0.2:1', host: '127.0.0.2', port: 1 });
    assert.deepEqual(endpointOf('[::1]:5000'), { authority: '[::1]:5000', host: '::1', port: 5000 });
    assert.deepEqual(endpointOf('health.test'), { authority: 'health.test:443', host: 'health.test', port: 443 });
  });

  it('grpc-timeout: the smallest unit that keeps 8 digits, rounded up (grpc-go encodeTimeout)', () => {
    assert.equal(grpcTimeout(0.000001), '1n');
    assert.equal(grpcTimeout(50), '50000000n');
    assert.equal(grpcTimeout(1000), '1000000u');
    assert.equal(grpcTimeout(100_000), '100000m');
    assert.equal(grpcTimeout(3_600_000_000), '3600000S');
    assert.equal(grpcTimeout(1e11), '1666667M');
    assert.equal(grpcTimeout(1e13), '2777778H');
  });
});

describe('grpc-health check -json with several services: which exit code wins', () => {
  let server: Awaited<ReturnType<typeof rawServer>>;
  before(async () => {
    server = await rawServer((stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const service = HealthCheckRequest.decode(Buffer.concat(chunks).subarray(5)).service;
        if (service === 'gone') {
          stream.respond(
            { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'unknown service' },
            { endStream: true },
          );
        } else answer(stream, frame(HealthCheckResponse.encode({ status: service === 'down' ? 2 : 1 }).finish()), { 'grpc-status': '0' });
      });
      void headers;
    });
  });
  after(() => server.close());

  it('the highest exit code wins, whatever the order: NOT_SERVING (4) over NOT_FOUND (3) over SERVING (0)', async () => {
    for (const order of [
      ['up', 'gone', 'down'],
      ['down', 'gone', 'up'],
      ['gone', 'up', 'down'],
    ]) {
      const result = await runCli(['-addr', server.addr, '-json', ...order.flatMap((service) => ['-service', service])]);
      assert.equal(result.code, 4, order.join(','));
      const codes = result.stdout
        .trim()
        .split('\n')
        .map((line) => [JSON.parse(line).service, JSON.parse(line).code]);
      assert.deepEqual(
        codes,
        order.map((service) => [service, { up: 0, gone: 3, down: 4 }[service]]),
      );
    }
    const rpcFailure = await runCli(['-addr', server.addr, '-json', '-service', 'gone', '-service', 'up']);
    assert.equal(rpcFailure.code, 3);
  });
});
