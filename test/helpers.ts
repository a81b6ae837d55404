/**
 * Test helpers: real grpc-js servers on 127.0.0.1 port 0, and bounded waits.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { HealthClient, HealthServer, type HealthServerOptions } from '../src/index.js';

/** A running grpc-js server on 127.0.0.1 with an ephemeral port. */
export interface RunningServer {
  server: grpc.Server;
  port: number;
  address: string;
  /** Forces the server down; safe to call twice. */
  stop(): void;
}

/** Starts a grpc-js server on 127.0.0.1:0 after `setup` has added services. */
export async function startServer(
  setup: (server: grpc.Server) => void,
  options: grpc.ServerOptions = {},
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<RunningServer> {
  const server = new grpc.Server(options);
  setup(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { server, port, address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

/** A server with a fresh {@link HealthServer}, and a client connected to it. */
export async function startHealth(
  options: HealthServerOptions = {},
): Promise<RunningServer & { health: HealthServer; client: HealthClient; close(): void }> {
  const health = new HealthServer(options);
  const running = await startServer((server) => health.addToServer(server));
  const client = new HealthClient(running.address, grpc.credentials.createInsecure(), {
    // A fresh connection per test, not one shared through grpc-js's subchannel pool.
    'grpc.use_local_subchannel_pool': 1,
  });
  return {
    ...running,
    health,
    client,
    close() {
      client.close();
      running.stop();
    },
  };
}

/** Rejects after `ms` with a message saying what was awaited. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits until `condition()` holds, checking on every turn of the event loop's
 * timer phase, and fails after `ms`. For state with no event to wait on (a
 * server-side count after a client cancels).
 */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Polls `read` until `done` holds for its value (20 ms between reads), failing after
 * `ms` with the last value: for state read from outside a process (an HTTP endpoint,
 * a page), which has no event to wait on.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Reads the next value of an async iterator, failing after `ms`. */
export async function next<T>(iterator: AsyncIterator<T>, ms = 2000, what = 'the next value'): Promise<T> {
  const result = await within(iterator.next(), ms, what);
  if (result.done) throw new Error(`iterator ended while waiting for ${what}`);
  return result.value;
}

/** Insecure client credentials, spelled once. */
export const insecure = (): grpc.ChannelCredentials => grpc.credentials.createInsecure();

/** Reads an async iterable to its end, failing after `ms`; `onValue` sees each value as it comes. */
export function readToEnd<T>(iterable: AsyncIterable<T>, ms: number, what: string, onValue: (value: T) => void = () => {}): Promise<T[]> {
  const read = async (): Promise<T[]> => {
    const values: T[] = [];
    for await (const value of iterable) {
      values.push(value);
      onValue(value);
    }
    return values;
  };
  return within(read(), ms, what);
}

/**
 * Collects unhandled promise rejections from now until `stop()`; `assertNone()`
 * waits one turn (a rejection is reported after the microtasks) and fails on any.
 */
export function collectUnhandledRejections(): { assertNone(): Promise<void>; stop(): void } {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  return {
    async assertNone() {
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(rejections, []);
    },
    stop: () => process.off('unhandledRejection', onRejection),
  };
}
