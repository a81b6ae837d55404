/**
 * The floor for any Node health probe: one Check over `node:http2` with nothing
 * else loaded, `raw-check.js host:port [ca.pem]` exiting 0 when SERVING (with a CA
 * file: over TLS, verifying the server against it). A bench baseline only
 * (bench/startup.ts), never shipped: `grpc-health check` does the same with every
 * check and message grpc-health-probe has (src/cli/h2-check.ts).
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:http2';

const [addr = '', caFile] = process.argv.slice(2);
const session = caFile ? connect(`https://${addr}`, { ca: readFileSync(caFile) }) : connect(`http://${addr}`);
session.on('error', () => process.exit(2));
const stream = session.request({
  ':method': 'POST',
  ':path': '/grpc.health.v1.Health/Check',
  'content-type': 'application/grpc',
  te: 'trailers',
});
// A gRPC message frame: not compressed, length 0 (an empty HealthCheckRequest: service "").
stream.end(Buffer.alloc(5));
const chunks: Buffer[] = [];
stream.on('data', (chunk: Buffer) => chunks.push(chunk));
stream.on('error', () => process.exit(3));
stream.on('end', () => {
  const body = Buffer.concat(chunks);
  // HealthCheckResponse { status = 1 (SERVING) } is the 2 bytes 08 01 after the 5-byte frame header.
  process.exit(body.length >= 7 && body[5] === 0x08 && body[6] === 1 ? 0 : 4);
});
