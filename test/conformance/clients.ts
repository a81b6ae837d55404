/**
 * One health client per protocol, behind one small interface, so the suite is
 * written once: gRPC through our `HealthClient` (grpc-js), the Connect protocol
 * through `@connectrpc/connect-node`, gRPC-Web through `@connectrpc/connect-web`
 * (its fetch transport, in Node). Failures carry the numeric gRPC `code`, which
 * `HealthRpcError` and `ConnectError` both have.
 */
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { createGrpcWebTransport } from '@connectrpc/connect-web';
import { Health } from '../../src/adapters/connect/index.js';
import { HealthClient, type ServingStatus, statusFromWire } from '../../src/index.js';
import type { Protocol } from './servers.js';

/** What the suite asks of a client. */
export interface ProtocolClient {
  check(service: string): Promise<ServingStatus>;
  list(): Promise<Map<string, ServingStatus>>;
  /** One Watch stream; not reading from it stalls it (back-pressure reaches the server). */
  watch(service: string, signal: AbortSignal): AsyncIterator<ServingStatus>;
  close(): void;
}

const TIMEOUT_MS = 5000;

/**
 * The HTTP/2 clients announce a small flow-control window, so a stalled reader
 * fills it (and the server's buffers behind it) within a few thousand messages.
 */
const WINDOW_BYTES = 1024;

function grpcClient(address: string): ProtocolClient {
  const client = new HealthClient(address, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc-node.flow_control_window': WINDOW_BYTES,
    timeoutMs: TIMEOUT_MS,
  });
  return {
    check: (service) => client.check(service),
    list: () => client.list(),
    watch: (service, signal) => client.watch(service, { signal }),
    close: () => client.close(),
  };
}

type ConnectHealthClient = ReturnType<typeof createClient<typeof Health>>;

function fromConnect(client: ConnectHealthClient): ProtocolClient {
  return {
    async check(service) {
      const reply = await client.check({ service }, { timeoutMs: TIMEOUT_MS });
      return statusFromWire(reply.status);
    },
    async list() {
      const reply = await client.list({}, { timeoutMs: TIMEOUT_MS });
      return new Map(Object.entries(reply.statuses).map(([name, response]) => [name, statusFromWire(response.status)]));
    },
    watch(service, signal) {
      const replies = client.watch({ service }, { signal });
      return (async function* () {
        for await (const reply of replies) yield statusFromWire(reply.status);
      })();
    },
    close() {},
  };
}

/** A client of `protocol` for the server at `address`. */
export function clientFor(protocol: Protocol, address: string): ProtocolClient {
  switch (protocol) {
    case 'grpc':
      return grpcClient(address);
    case 'connect':
      return fromConnect(
        createClient(
          Health,
          createConnectTransport({
            baseUrl: `http://${address}`,
            httpVersion: '2',
            nodeOptions: { settings: { initialWindowSize: WINDOW_BYTES } },
          }),
        ),
      );
    case 'grpc-web':
      return fromConnect(createClient(Health, createGrpcWebTransport({ baseUrl: `http://${address}` })));
  }
}

/**
 * Sends a request whose body is not a valid message, and resolves with the
 * gRPC code of the answer (undefined if the call succeeded).
 */
export async function sendMalformedCheck(protocol: Protocol, address: string): Promise<number | undefined> {
  // A truncated varint tag, inside a well-formed length-prefixed frame.
  const body = Buffer.from([0xff, 0xff, 0xff]);
  if (protocol === 'grpc') {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    try {
      return await new Promise((resolve) => {
        raw.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (b: Buffer) => b,
          (b: Buffer) => b,
          body,
          { deadline: Date.now() + TIMEOUT_MS },
          (error) => resolve(error?.code),
        );
      });
    } finally {
      raw.close();
    }
  }
  const url = `http://${address}/grpc.health.v1.Health/Check`;
  if (protocol === 'connect') {
    // Connect unary over HTTP/2 (this address speaks no HTTP/1.1): a raw request.
    const session = http2.connect(`http://${address}`);
    try {
      const request = session.request({
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        'content-type': 'application/proto',
      });
      request.setTimeout(TIMEOUT_MS, () => request.close(http2.constants.NGHTTP2_CANCEL));
      request.end(body);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      const [headers] = (await once(request, 'response')) as [http2.IncomingHttpHeaders];
      await once(request, 'end');
      if (Number(headers[':status']) === 200) return undefined;
      // The Connect protocol's error body names the code; map it back to the number.
      const { code } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code: string };
      return Number(grpc.status[code.toUpperCase() as keyof typeof grpc.status]);
    } finally {
      session.close();
    }
  }
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
    body: frame,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const payload = Buffer.from(await response.arrayBuffer());
  // A trailers-only answer has grpc-status in its headers; otherwise it is in the trailer frame.
  const header = response.headers.get('grpc-status');
  if (header !== null) return Number(header) || undefined;
  const match = /grpc-status:\s*(\d+)/.exec(payload.toString('latin1'));
  return match ? Number(match[1]) || undefined : undefined;
}
