/**
 * `grpc-health watch`: prints each status change with a timestamp, reconnecting
 * by itself, until interrupted; with `-until STATUS` it waits for that status and
 * exits 0, or with the check exit codes when `-timeout` passes first.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { parseServingStatus, type ServingStatus } from '../status.js';
import { clientFor, headersMetadata, signalOnInterrupt } from './connection.js';
import { CliFailure, connectionSettings } from './options.js';
import { EXIT } from './exit-codes.js';
import { type FlagValues, formatDuration, UsageError } from './flags.js';

/** The CLI's reconnect backoff: quicker than the library default, for a person or a script waiting. */
const CLI_BACKOFF = { initialMs: 250, multiplier: 1.6, jitter: 0.2, maxMs: 5000 };

/** Runs the subcommand; returns the exit code. */
export async function runWatch(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const settings = connectionSettings(values);
  if (settings.services.length > 1) throw new UsageError('watch takes one -service');
  const service = settings.services[0]!;
  const untilText = values.until as string | undefined;
  const until = untilText === undefined ? undefined : parseServingStatus(untilText);
  if (untilText !== undefined && until === undefined) {
    throw new UsageError(`invalid value ${JSON.stringify(untilText)} for flag -until: want SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN`);
  }
  const timeoutMs = values.timeout as number | undefined;
  if (timeoutMs !== undefined && until === undefined) throw new UsageError('-timeout needs -until');
  if (timeoutMs !== undefined && timeoutMs <= 0) throw new UsageError(`-timeout must be greater than zero (specified: ${formatDuration(timeoutMs)})`);

  const interrupted = signalOnInterrupt(log);
  const stop = new AbortController();
  interrupted.addEventListener('abort', () => stop.abort(), { once: true });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop.abort(), timeoutMs);
  const client = clientFor(settings);
  let last: ServingStatus | undefined;
  let lastFailureCode: GrpcStatus | undefined;
  const stamp = () => new Date().toISOString();
  try {
    for await (const event of client.watchHealth(service, { signal: stop.signal, metadata: headersMetadata(settings), backoff: CLI_BACKOFF })) {
      if (event.type === 'status') {
        last = event.status;
        if (settings.json) out(JSON.stringify({ time: stamp(), address: settings.addr, service, status: event.status }));
        else out(`${stamp()}  ${JSON.stringify(service)}  ${event.status}`);
        if (until !== undefined && event.status === until) return EXIT.OK;
      } else if (event.type === 'failure') {
        lastFailureCode = event.error.code;
        const line = `${event.error.message} (retrying in ${formatDuration(Math.round(event.retryInMs))})`;
        if (settings.json) out(JSON.stringify({ time: stamp(), address: settings.addr, service, error: event.error.message, retry_in_ms: Math.round(event.retryInMs) }));
        log(`${stamp()}  ${line}`);
      } else {
        throw new CliFailure(
          EXIT.RPC_FAILURE,
          `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${event.error.details}`,
        );
      }
    }
    if (until === undefined) return EXIT.OK; // interrupted: a watch ends that way
    const waited = timeoutMs === undefined ? '' : ` within ${formatDuration(timeoutMs)}`;
    if (last !== undefined) {
      throw new CliFailure(EXIT.UNHEALTHY, `service ${JSON.stringify(service)} did not become ${until}${waited} (last status ${last})`);
    }
    if (lastFailureCode === undefined || lastFailureCode === GrpcStatus.UNAVAILABLE) {
      throw new CliFailure(EXIT.CONNECTION_FAILURE, `timeout: failed to connect service ${JSON.stringify(settings.addr)}${waited}`);
    }
    throw new CliFailure(EXIT.RPC_FAILURE, `error: health rpc failed${waited}: code = ${GrpcStatus[lastFailureCode]}`);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
