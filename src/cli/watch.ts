/**
 * `grpc-health watch`: prints each status change with a timestamp, reconnecting
 * by itself, until interrupted; with `-until STATUS` it waits for that status and
 * exits 0, or with the check exit codes when `-timeout` passes first.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { parseServingStatus, type ServingStatus } from '../status.js';
import { clientFor, goStatusText, headersMetadata } from './connection.js';
import { formatGoDuration, msToNs, nsToMs, setLongTimeout } from './duration.js';
import { EXIT } from './exit-codes.js';
import type { Command } from './command.js';
import { type FlagValues, goQuote, UsageError } from './flags.js';
import { abortOnInterrupt } from './interrupt.js';
import { CliFailure, CONNECTION_FLAGS, connectionSettings } from './options.js';
import { checkAddr } from './target-syntax.js';

/** The CLI's reconnect backoff: quicker than the library default, for a person or a script waiting. */
const CLI_BACKOFF = { initialMs: 250, multiplier: 1.6, jitter: 0.2, maxMs: 5000 };

/** Runs the subcommand; returns the exit code. */
export async function runWatch(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const settings = connectionSettings(values);
  checkAddr(settings);
  if (settings.services.length > 1) throw new UsageError('watch takes one -service');
  const service = settings.services[0]!;
  const untilText = values.until as string | undefined;
  const until = untilText === undefined ? undefined : parseServingStatus(untilText);
  if (untilText !== undefined && until === undefined) {
    throw new UsageError(
      `invalid value ${JSON.stringify(untilText)} for flag -until: want SERVING, NOT_SERVING, UNKNOWN or SERVICE_UNKNOWN`,
    );
  }
  const timeoutNs = values.timeout as bigint | undefined;
  if (timeoutNs !== undefined && until === undefined) throw new UsageError('-timeout needs -until');
  if (timeoutNs !== undefined && timeoutNs <= 0n)
    throw new UsageError(`-timeout must be greater than zero (specified: ${formatGoDuration(timeoutNs)})`);

  const interrupted = abortOnInterrupt(log);
  const stop = new AbortController();
  interrupted.addEventListener('abort', () => stop.abort(), { once: true });
  const cancelTimer = timeoutNs === undefined ? undefined : setLongTimeout(() => stop.abort(), nsToMs(timeoutNs));
  const client = await clientFor(settings);
  // A Watch that grpc-js drops without ending it (Node 20, trailers over the header
  // limit: grpc-js-compat 13) leaves nothing to wait for, and Node would exit with
  // code 13 and no line: end the watch when the event loop empties under it.
  let stranded = false;
  const onStranded = () => {
    stranded = true;
    stop.abort();
  };
  process.once('beforeExit', onStranded);
  let last: ServingStatus | undefined;
  let lastFailure: { code: GrpcStatus; details: string } | undefined;
  const stamp = () => new Date().toISOString();
  try {
    for await (const event of client.watchHealth(service, {
      signal: stop.signal,
      metadata: headersMetadata(settings),
      backoff: CLI_BACKOFF,
    })) {
      if (event.type === 'status') {
        last = event.status;
        if (settings.json) out(JSON.stringify({ time: stamp(), address: settings.addr, service, status: event.status }));
        else out(`${stamp()}  ${JSON.stringify(service)}  ${event.status}`);
        if (until !== undefined && event.status === until) return EXIT.OK;
      } else if (event.type === 'failure') {
        lastFailure = { code: event.error.code, details: event.error.details };
        const line = `${event.error.message} (retrying in ${formatGoDuration(msToNs(Math.round(event.retryInMs)))})`;
        if (settings.json)
          out(
            JSON.stringify({
              time: stamp(),
              address: settings.addr,
              service,
              error: event.error.message,
              retry_in_ms: Math.round(event.retryInMs),
            }),
          );
        log(`${stamp()}  ${line}`);
      } else if (event.type === 'unimplemented') {
        throw new CliFailure(
          EXIT.RPC_FAILURE,
          `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${event.error.details}`,
        );
      } else {
        throw new CliFailure(EXIT.RPC_FAILURE, `error: health rpc failed: ${goStatusText(event.error.code, event.error.details)}`);
      }
    }
    if (stranded) {
      throw new CliFailure(
        EXIT.RPC_FAILURE,
        'error: health rpc failed: the Watch call stopped without a status and nothing is left to wait for (the connection is wedged)',
      );
    }
    if (until === undefined) return EXIT.OK; // interrupted: a watch ends that way
    const waited = timeoutNs === undefined ? '' : ` within ${formatGoDuration(timeoutNs)}`;
    if (last !== undefined) {
      throw new CliFailure(EXIT.UNHEALTHY, `service ${goQuote(service)} did not become ${until}${waited} (last status ${last})`);
    }
    if (lastFailure === undefined || lastFailure.code === GrpcStatus.UNAVAILABLE) {
      throw new CliFailure(EXIT.CONNECTION_FAILURE, `timeout: failed to connect service ${goQuote(settings.addr)}${waited}`);
    }
    throw new CliFailure(EXIT.RPC_FAILURE, `error: health rpc failed${waited}: ${goStatusText(lastFailure.code, lastFailure.details)}`);
  } finally {
    process.off('beforeExit', onStranded);
    cancelTimer?.();
    client.close();
  }
}

/** `grpc-health watch`. */
export const watchCommand: Command = {
  usage: 'grpc-health watch -addr host:port [-service name] [-until STATUS [-timeout 30s]] [flags]',
  flags: {
    ...CONNECTION_FLAGS,
    until: { kind: 'string', help: 'exit 0 as soon as the service reports this status (e.g. SERVING)' },
    timeout: { kind: 'duration', help: '(with -until) give up after this long, with the check exit codes' },
  },
  examples: [
    'grpc-health watch -addr localhost:50051 -service echo.Echo',
    'grpc-health watch -addr db:50051 -until SERVING -timeout 60s && ./start-app   # wait until ready',
  ],
  run: runWatch,
};
