/**
 * `grpc-health check`: grpc-health-probe's behaviour, messages and exit codes,
 * plus several services in one call (exit code of the worst) and `-json`.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { HealthRpcError } from '../errors.js';
import { clientFor, connect, headersMetadata, signalOnInterrupt } from './connection.js';
import { CliFailure, connectionSettings } from './options.js';
import { EXIT } from './exit-codes.js';
import { type FlagValues, formatDuration } from './flags.js';

/** One service's outcome. */
interface Outcome {
  service: string;
  status?: string;
  exitCode: number;
  message: string;
  latencyMs: number;
}

/** Describes a failed Check the way grpc-health-probe does. */
function describeFailure(error: unknown, rpcTimeoutMs: number): string {
  if (error instanceof HealthRpcError) {
    if (error.code === GrpcStatus.UNIMPLEMENTED) {
      return `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${error.details}`;
    }
    if (error.code === GrpcStatus.DEADLINE_EXCEEDED) return `timeout: health rpc did not complete within ${formatDuration(rpcTimeoutMs)}`;
    return `error: health rpc failed: rpc error: code = ${GrpcStatus[error.code]} desc = ${error.details}`;
  }
  return `error: health rpc failed: ${(error as Error).message}`;
}

/** Runs the subcommand; returns the exit code. */
export async function runCheck(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const settings = connectionSettings(values);
  if (settings.verbose) {
    log('parsed options:');
    log(`> addr=${settings.addr} conn_timeout=${formatDuration(settings.connectTimeoutMs)} rpc_timeout=${formatDuration(settings.rpcTimeoutMs)}`);
    if (settings.headers.length > 0) log(`> headers: ${settings.headers.map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    log(`> tls=${settings.tls}`);
    log(`> services=${settings.services.map((s) => JSON.stringify(s)).join(',')}`);
  }
  const signal = signalOnInterrupt(log);
  const client = clientFor(settings);
  try {
    if (settings.verbose) log('establishing connection');
    const connectStart = performance.now();
    try {
      await connect(client, settings, signal);
    } catch (error) {
      if (error instanceof CliFailure && settings.json) {
        for (const service of settings.services) {
          out(JSON.stringify({ address: settings.addr, service, status: null, code: error.exitCode, error: error.message }));
        }
      }
      throw error;
    }
    const connectMs = performance.now() - connectStart;
    if (settings.verbose) log(`connection established (took ${formatDuration(connectMs)})`);

    const metadata = headersMetadata(settings);
    const outcomes: Outcome[] = [];
    for (const service of settings.services) {
      const started = performance.now();
      try {
        const status = await client.check(service, { deadline: settings.rpcTimeoutMs, metadata, signal });
        const serving = status === 'SERVING';
        outcomes.push({
          service,
          status,
          exitCode: serving ? EXIT.OK : EXIT.UNHEALTHY,
          message: serving ? `status: ${status}` : `service unhealthy (responded with ${JSON.stringify(status)})`,
          latencyMs: performance.now() - started,
        });
      } catch (error) {
        outcomes.push({
          service,
          exitCode: EXIT.RPC_FAILURE,
          message: describeFailure(error, settings.rpcTimeoutMs),
          latencyMs: performance.now() - started,
        });
      }
    }
    const many = outcomes.length > 1;
    for (const outcome of outcomes) {
      if (settings.verbose) log(`time elapsed: connect=${formatDuration(connectMs)} rpc=${formatDuration(outcome.latencyMs)}`);
      log(many ? `${JSON.stringify(outcome.service)}: ${outcome.message}` : outcome.message);
      if (settings.json) {
        out(
          JSON.stringify({
            address: settings.addr,
            service: outcome.service,
            status: outcome.status ?? null,
            code: outcome.exitCode,
            latency_ms: Number(outcome.latencyMs.toFixed(3)),
            ...(outcome.status === undefined ? { error: outcome.message } : {}),
          }),
        );
      }
    }
    return Math.max(...outcomes.map((outcome) => outcome.exitCode));
  } finally {
    client.close();
  }
}
