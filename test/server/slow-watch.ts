/**
 * A Watch call on a slow link, spoken over node:http2: its headers reach the
 * server now, its request message only when `send()` is called. So a test can
 * start a shutdown between the two, as a slow client does. The message is encoded
 * by the generated code; only gRPC's 5-byte frame prefix is written here.
 */
import * as http2 from 'node:http2';
import { once } from 'node:events';
import { HealthCheckRequest } from '../../src/generated/grpc/health/v1/health.js';
import { within } from '../helpers.js';

/** A Watch whose request is not sent yet. */
export interface SlowWatch {
  /** Sends the request message (and ends the request side). */
  send(): void;
  /** The call's grpc-status, from a trailers-only answer or the trailers. */
  readonly status: Promise<number>;
  /** Closes the connection. */
  close(): void;
}

/** Opens a Watch of `service` on `address` and waits until the server has its headers. */
export async function slowWatch(address: string, service: string): Promise<SlowWatch> {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => {}); // the status promise reports what matters
  await within(once(session, 'connect'), 5000, 'the HTTP/2 connection');
  const stream = session.request(
    { ':method': 'POST', ':path': '/grpc.health.v1.Health/Watch', 'content-type': 'application/grpc', te: 'trailers' },
    { endStream: false },
  );
  stream.resume(); // the status replies themselves are not needed
  const status = new Promise<number>((resolve, reject) => {
    const fromHeaders = (headers: http2.IncomingHttpHeaders) => {
      if (headers['grpc-status'] !== undefined) resolve(Number(headers['grpc-status']));
    };
    stream.on('response', fromHeaders);
    stream.on('trailers', fromHeaders);
    stream.on('close', () => reject(new Error(`the Watch closed without a grpc-status (HTTP/2 code ${stream.rstCode})`)));
    stream.on('error', reject);
  });
  status.catch(() => {});
  // A PING is answered after the frames sent before it: the server has taken the headers.
  await within(
    new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve()))),
    5000,
    'the PING acknowledgement',
  );
  const request = Buffer.from(HealthCheckRequest.encode({ service }).finish());
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(request.length, 1);
  return {
    send: () => {
      stream.end(Buffer.concat([prefix, request]));
    },
    status,
    close: () => session.destroy(),
  };
}
