/**
 * `grpc-health check`: grpc-health-probe's behaviour, messages and exit codes,
 * plus several services in one call (exit code of the worst) and `-json`.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { HealthRpcError } from '../errors.js';
import { clientFor, connect, goStatusText, headersMetadata } from './connection.js';
import { formatGoDuration, nsToMs } from './duration.js';
import { EXIT } from './exit-codes.js';
import type { Command } from './command.js';
import type { FlagValues } from './flags.js';
import { abortOnInterrupt } from './interrupt.js';
import { CliFailure, CONNECTION_FLAGS, type ConnectionSettings, connectionSettings, describeSettings } from './options.js';

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
  if (error instanceof HealthRpcError) {
    if (error.code === GrpcStatus.UNIMPLEMENTED) {
      return `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${error.details}`;
    }
    if (error.code === GrpcStatus.DEADLINE_EXCEEDED)
      return `timeout: health rpc did not complete within ${formatGoDuration(settings.rpcTimeoutNs)}`;
    // Cancelled by our signal: what grpc-go says for a cancelled context.
    const details = error.code === GrpcStatus.CANCELLED && signal.aborted ? 'context canceled' : error.details;
    return `error: health rpc failed: ${goStatusText(error.code, details)}`;
  }
  return `error: health rpc failed: ${(error as Error).message}`;
}

/** Runs the subcommand; returns the exit code. */
export async function runCheck(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const settings = connectionSettings(values);
  if (settings.verbose) for (const line of describeSettings(settings)) log(line);
  const signal = abortOnInterrupt(log);
  const client = await clientFor(settings);
  try {
    if (settings.verbose) log('establishing connection');
    const connectStart = process.hrtime.bigint();
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
    const connectNs = process.hrtime.bigint() - connectStart;
    if (settings.verbose) log(`connection established (took ${formatGoDuration(connectNs)})`);

    const metadata = headersMetadata(settings);
    const outcomes: Outcome[] = [];
    for (const service of settings.services) {
      const started = process.hrtime.bigint();
      try {
        const status = await client.check(service, { deadline: nsToMs(settings.rpcTimeoutNs), metadata, signal });
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
    client.close();
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
