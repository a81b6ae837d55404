/**
 * `grpc-health check`: grpc-health-probe's behaviour, messages and exit codes,
 * plus several services on one connection and `-json`. The exit code is the
 * highest of the services' (4 not SERVING over 3 RPC failure over 0), whatever
 * their order. The call goes over `node:http2` (src/cli/h2-check.ts): no grpc-js.
 */
import { GrpcCode } from '../grpc-code.js';
import { formatGoDuration, nsToMs, setLongTimeout } from './duration.js';
import { EXIT } from './exit-codes.js';
import type { Command } from './command.js';
import { goQuote, type FlagValues } from './flags.js';
import { goStatusText } from './go-status.js';
import { CallError, endpointOf, type H2Endpoint, type H2Session, openSession } from './h2-check.js';
import { abortOnInterrupt } from './interrupt.js';
import { CliFailure, CONNECTION_FLAGS, type ConnectionSettings, connectionSettings, describeSettings } from './options.js';
// Statically: one file less to load for a probe with -tls (the built-ins it needs load when used).
import { nodeTlsOptions } from './tls-options.js';

/** One service's outcome. */
interface Outcome {
  service: string;
  status?: string;
  exitCode: number;
  message: string;
  latencyNs: bigint;
}

/** Describes a failed Check the way grpc-health-probe does. */
function describeFailure(error: unknown, settings: ConnectionSettings, signal: AbortSignal): string {
  if (error instanceof CallError) {
    if (error.code === GrpcCode.UNIMPLEMENTED) {
      return `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${error.details}`;
    }
    if (error.code === GrpcCode.DEADLINE_EXCEEDED)
      return `timeout: health rpc did not complete within ${formatGoDuration(settings.rpcTimeoutNs)}`;
    // Cancelled by our signal: what grpc-go says for a cancelled context.
    const details = error.code === GrpcCode.CANCELLED && signal.aborted ? 'context canceled' : error.details;
    return `error: health rpc failed: ${goStatusText(error.code, details)}`;
  }
  return `error: health rpc failed: ${(error as Error).message}`;
}

/** Runs the subcommand; returns the exit code. */
export async function runCheck(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const settings = connectionSettings(values);
  if (settings.verbose) for (const line of describeSettings(settings)) log(line);
  const signal = abortOnInterrupt(log);
  const endpoint = endpointFor(settings);
  let session: H2Session | undefined;
  try {
    if (settings.verbose) log('establishing connection');
    const connectStart = process.hrtime.bigint();
    try {
      session = await connectWithin(endpoint, settings, signal);
    } catch (error) {
      if (error instanceof CliFailure && settings.json) {
        for (const service of settings.services) {
          out(JSON.stringify({ address: settings.addr, service, status: null, code: error.exitCode, error: error.message }));
        }
      }
      throw error;
    }
    const connectNs = process.hrtime.bigint() - connectStart;
    if (settings.verbose) log(`connection established (took ${formatGoDuration(connectNs)})`);

    const outcomes: Outcome[] = [];
    for (const service of settings.services) {
      const started = process.hrtime.bigint();
      try {
        const status = await session.check(service, {
          timeoutMs: nsToMs(settings.rpcTimeoutNs),
          userAgent: settings.userAgent,
          headers: settings.headers,
          gzip: settings.gzip,
          signal,
        });
        const serving = status === 'SERVING';
        outcomes.push({
          service,
          status,
          exitCode: serving ? EXIT.OK : EXIT.UNHEALTHY,
          message: serving ? `status: ${status}` : `service unhealthy (responded with ${JSON.stringify(status)})`,
          latencyNs: process.hrtime.bigint() - started,
        });
      } catch (error) {
        outcomes.push({
          service,
          exitCode: EXIT.RPC_FAILURE,
          message: describeFailure(error, settings, signal),
          latencyNs: process.hrtime.bigint() - started,
        });
      }
    }
    const many = outcomes.length > 1;
    for (const outcome of outcomes) {
      if (settings.verbose && outcome.status === 'SERVING') {
        log(`time elapsed: connect=${formatGoDuration(connectNs)} rpc=${formatGoDuration(outcome.latencyNs)}`);
      }
      log(many ? `${JSON.stringify(outcome.service)}: ${outcome.message}` : outcome.message);
      if (settings.json) {
        out(
          JSON.stringify({
            address: settings.addr,
            service: outcome.service,
            status: outcome.status ?? null,
            code: outcome.exitCode,
            latency_ms: Number(nsToMs(outcome.latencyNs).toFixed(3)),
            ...(outcome.status === undefined ? { error: outcome.message } : {}),
          }),
        );
      }
    }
    return Math.max(...outcomes.map((outcome) => outcome.exitCode));
  } finally {
    session?.close();
  }
}

/** Where `check` connects; with `-tls`, the node:tls options from the one TLS source (tls-options.ts). */
export function endpointFor(settings: ConnectionSettings): H2Endpoint {
  const endpoint: H2Endpoint = endpointOf(settings.target);
  if (settings.serverName) endpoint.authority = settings.serverName;
  if (settings.tls) {
    // As the probe (grpc-go): the certificate must match -tls-server-name, else the host of
    // -addr; with no host (`-addr :port`) there is no name to verify and the handshake fails.
    const name = settings.serverName ?? (settings.addr.startsWith(':') ? '' : (endpoint.host ?? 'localhost'));
    endpoint.tls = nodeTlsOptions(settings, name);
  }
  return endpoint;
}

/** Connects within -connect-timeout, or fails with exit code 2 in the probe's words. */
async function connectWithin(endpoint: H2Endpoint, settings: ConnectionSettings, interrupt: AbortSignal): Promise<H2Session> {
  const at = goQuote(settings.addr);
  const stop = new AbortController();
  const onInterrupt = () => stop.abort(`error: failed to connect service at ${at}: context canceled`);
  // Our own timer: a Go duration can be longer than setTimeout allows.
  const cancelTimer = setLongTimeout(
    () => stop.abort(`timeout: failed to connect service ${at} within ${formatGoDuration(settings.connectTimeoutNs)}`),
    nsToMs(settings.connectTimeoutNs),
  );
  if (interrupt.aborted) onInterrupt();
  interrupt.addEventListener('abort', onInterrupt, { once: true });
  try {
    return await openSession(endpoint, stop.signal);
  } catch (reason) {
    throw new CliFailure(EXIT.CONNECTION_FAILURE, String(reason));
  } finally {
    cancelTimer();
    interrupt.removeEventListener('abort', onInterrupt);
  }
}

/** `grpc-health check` (also what runs without a command, as grpc_health_probe). */
export const checkCommand: Command = {
  usage: 'grpc-health [check] -addr host:port [-service name]... [flags]',
  flags: { ...CONNECTION_FLAGS, version: { kind: 'bool', help: 'show version and exit' } },
  examples: [
    'grpc-health -addr=localhost:5000 -service=echo.Echo      # grpc_health_probe lines work as they are',
    'grpc-health check -addr api:443 -tls -tls-ca-cert ca.pem -service a -service b -json',
    'grpc-health check -addr unix:///run/app.sock -rpc-header "authorization: Bearer x"',
  ],
  run: runCheck,
};
