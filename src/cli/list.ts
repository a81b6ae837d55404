/** `grpc-health list`: the List RPC (gRFC A90), as a table or `-json`. */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { HealthRpcError } from '../errors.js';
import { clientFor, connect, headersMetadata, signalOnInterrupt } from './connection.js';
import { CliFailure, connectionSettings } from './options.js';
import { EXIT } from './exit-codes.js';
import { type FlagValues, formatDuration } from './flags.js';

/** Runs the subcommand; returns the exit code. */
export async function runList(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const settings = connectionSettings(values);
  const signal = signalOnInterrupt(log);
  const client = clientFor(settings);
  try {
    await connect(client, settings, signal);
    let statuses: Map<string, string>;
    try {
      statuses = await client.list({ deadline: settings.rpcTimeoutMs, metadata: headersMetadata(settings), signal });
    } catch (error) {
      if (!(error instanceof HealthRpcError)) throw error;
      const reason =
        error.code === GrpcStatus.UNIMPLEMENTED
          ? `error: this server does not implement List (grpc.health.v1.Health/List; servers from before 2025 have only Check and Watch): ${error.details}`
          : error.code === GrpcStatus.DEADLINE_EXCEEDED
            ? `timeout: health rpc did not complete within ${formatDuration(settings.rpcTimeoutMs)}`
            : `error: health rpc failed: rpc error: code = ${GrpcStatus[error.code]} desc = ${error.details}`;
      throw new CliFailure(EXIT.RPC_FAILURE, reason);
    }
    const sorted = [...statuses].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (settings.json) {
      out(JSON.stringify({ address: settings.addr, statuses: Object.fromEntries(sorted) }));
    } else {
      const rows: [string, string][] = [['SERVICE', 'STATUS'], ...sorted.map(([name, status]): [string, string] => [name === '' ? '""' : name, status])];
      const width = Math.max(...rows.map(([name]) => name.length)) + 2;
      for (const [name, status] of rows) out(`${name.padEnd(width)}${status}`);
    }
    return EXIT.OK;
  } finally {
    client.close();
  }
}
