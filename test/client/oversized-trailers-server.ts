/**
 * A hostile gRPC server for tests, on raw node:http2 (grpc-js refuses to be this
 * rude): every call gets one Watch reply (SERVING), then trailers whose
 * `grpc-message` is 1 MB, past any client's header list limit.
 */
import http2 from 'node:http2';
import { HealthCheckResponse } from '../../src/index.js';

export interface OversizedTrailersServer {
  address: string;
  /** Calls received. */
  calls(): number;
  close(): void;
}

/** One gRPC message frame: no compression, 4-byte length, the bytes. */
function frame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

export async function startOversizedTrailersServer(): Promise<OversizedTrailersServer> {
  // Node's default refuses to send a header block over 64 KB; grpc-js's server lifts it the same way.
  const server = http2.createServer({ maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER });
  const sessions = new Set<http2.ServerHttp2Session>();
  let calls = 0;
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => {});
  });
  server.on('stream', (stream) => {
    calls += 1;
    stream.on('error', () => {});
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '14', 'grpc-message': 'x'.repeat(1 << 20) }));
    stream.end(frame(HealthCheckResponse.encode({ status: 1 }).finish()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    calls: () => calls,
    close() {
      for (const session of sessions) session.destroy();
      server.close();
    },
  };
}
