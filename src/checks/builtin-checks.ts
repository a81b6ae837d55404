/**
 * Ready-made checks for what Node services depend on. Each returns a
 * {@link CheckFunction} for {@link DependencyChecks.add}; your own take three lines.
 */
import { connect } from 'node:net';
import { type ChannelCredentials, credentials as grpcCredentials } from '@grpc/grpc-js';
import { HealthClient } from '../client/health-client.js';
import { HealthArgumentError } from '../errors.js';
import { checkOptions, portOption } from '../options.js';
import { shownValue } from '../shown-value.js';
import type { CheckFunction } from './dependency-checks.js';

/**
 * The health of a downstream gRPC service, through our client: healthy when its
 * Check answers SERVING within the check's timeout.
 *
 * @param target a grpc-js target, or a {@link HealthClient} you manage
 * @param service the service name to ask about (`""`: the whole server)
 */
export function grpcCheck(target: string | HealthClient, service = '', options: { credentials?: ChannelCredentials } = {}): CheckFunction {
  checkOptions('grpcCheck options', options, ['credentials']);
  const owned = typeof target === 'string';
  let client = owned ? undefined : target;
  const check: CheckFunction = async (signal) => {
    client ??= new HealthClient(target as string, options.credentials ?? grpcCredentials.createInsecure());
    // The check's own timeout aborts the signal; the deadline is a backstop.
    const status = await client.check(service, { signal, deadline: 60_000 });
    return status === 'SERVING' ? true : { healthy: false, detail: `${service === '' ? 'server' : service} is ${status}` };
  };
  // A client this check opened is closed (and opened again by a later run); yours is left alone.
  check.dispose = () => {
    if (!owned) return;
    client?.close();
    client = undefined;
  };
  return check;
}

/** Healthy when a TCP connection to `host:port` opens. */
export function tcpCheck(host: string, port: number): CheckFunction {
  if (typeof host !== 'string' || host === '') throw new HealthArgumentError('tcpCheck: host must be a non-empty string');
  portOption('tcpCheck: port', port);
  return (signal) =>
    new Promise<true>((resolve, reject) => {
      const socket = connect({ host, port, signal });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', (error) => reject(new Error(`tcp ${host}:${port}: ${error.message}`)));
    });
}

/** Healthy when a GET of `url` answers with a status in `okStatuses` (default 200-399). */
export function httpCheck(url: string, options: { okStatuses?: (status: number) => boolean } = {}): CheckFunction {
  checkOptions('httpCheck options', options, ['okStatuses']);
  if (options.okStatuses !== undefined && typeof options.okStatuses !== 'function') {
    throw new HealthArgumentError('httpCheck: okStatuses must be a function of the status code');
  }
  const ok = options.okStatuses ?? ((status: number) => status >= 200 && status < 400);
  return async (signal) => {
    const response = await fetch(url, { signal, redirect: 'manual' });
    await response.body?.cancel();
    return ok(response.status) ? true : { healthy: false, detail: `GET ${url} answered ${response.status}` };
  };
}

/**
 * Unhealthy while the event loop is blocked: the largest delay seen since the last
 * run is above `maxMs` (default 500). A blocked loop cannot serve RPCs either.
 * Measured with an unref'd 20 ms timer (perf_hooks' histogram misses long stalls
 * on Node 20), started at the first run and cleared by `dispose()`
 * ({@link DependencyChecks.stop} calls it; a later run starts it again).
 */
export function eventLoopDelayCheck(maxMs = 500): CheckFunction {
  if (typeof maxMs !== 'number' || !(maxMs > 0 && maxMs < Infinity)) {
    throw new HealthArgumentError(`eventLoopDelayCheck: maxMs must be a positive number, got ${shownValue(maxMs)}`);
  }
  const tickMs = 20;
  let last = performance.now();
  let worst = 0;
  let sampler: NodeJS.Timeout | undefined;
  const check: CheckFunction = () => {
    if (!sampler) {
      sampler = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last - tickMs);
        last = now;
      }, tickMs).unref();
      last = performance.now();
      worst = 0;
      return true; // nothing measured yet
    }
    // A stall that just ended has not been seen by the timer yet.
    const worstMs = Math.max(worst, performance.now() - last - tickMs);
    worst = 0;
    return worstMs <= maxMs ? true : { healthy: false, detail: `event loop blocked for ${worstMs.toFixed(0)} ms (limit ${maxMs} ms)` };
  };
  check.dispose = () => {
    clearInterval(sampler);
    sampler = undefined;
  };
  return check;
}
