/**
 * Raw HTTP/1.1 over a socket, for request targets that fetch() would refuse or
 * normalise: the bytes go out as written.
 */
import { connect, type Socket } from 'node:net';
import { within } from '../helpers.js';

/** Opens a socket to 127.0.0.1:`port`, resolved once connected. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves with everything the server sends until it closes the socket. */
export function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => {});
    socket.once('close', () => resolve(text));
  });
}

/** Sends `GET <target>` with `Connection: close` and resolves with the status code and body. */
export async function rawGet(port: number, target: string, method = 'GET'): Promise<{ code: number; body: string; raw: string }> {
  const socket = await openSocket(port);
  const reply = readAll(socket);
  socket.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  const raw = await within(reply, 5000, `the answer to ${method} ${JSON.stringify(target)}`);
  const code = Number(/^HTTP\/1\.1 (\d{3}) /.exec(raw)?.[1] ?? NaN);
  return { code, body: raw.slice(raw.indexOf('\r\n\r\n') + 4), raw };
}
