/** `grpc-health list`: the List RPC (gRFC A90), as a table or `-json`. */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { HealthRpcError } from '../errors.js';
import { clientFor, connect, goStatusText, headersMetadata } from './connection.js';
import { formatGoDuration, nsToMs } from './duration.js';
import { EXIT } from './exit-codes.js';
import type { Command } from './command.js';
import type { FlagValues } from './flags.js';
import { abortOnInterrupt } from './interrupt.js';
import { CliFailure, CONNECTION_FLAGS, connectionSettings } from './options.js';
import { checkAddr } from './target-syntax.js';

/** Runs the subcommand; returns the exit code. */
export async function runList(values: FlagValues, log: (line: string) => void, out: (line: string) => void): Promise<number> {
  const settings = connectionSettings(values);
  checkAddr(settings);
  const signal = abortOnInterrupt(log);
  const client = await clientFor(settings);
  try {
    await connect(client, settings, signal);
    let statuses: Map<string, string>;
    try {
      statuses = await client.list({ deadline: nsToMs(settings.rpcTimeoutNs), metadata: headersMetadata(settings), signal });
    } catch (error) {
      if (!(error instanceof HealthRpcError)) throw error;
      const reason =
        error.code === GrpcStatus.UNIMPLEMENTED
          ? `error: this server does not implement List (grpc.health.v1.Health/List; servers from before 2025 have only Check and Watch): ${error.details}`
          : error.code === GrpcStatus.DEADLINE_EXCEEDED
            ? `timeout: health rpc did not complete within ${formatGoDuration(settings.rpcTimeoutNs)}`
            : `error: health rpc failed: ${goStatusText(error.code, error.details)}`;
      throw new CliFailure(EXIT.RPC_FAILURE, reason);
    }
    const sorted = [...statuses].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (settings.json) {
      out(JSON.stringify({ address: settings.addr, statuses: Object.fromEntries(sorted) }));
    } else {
      const rows: [string, string][] = [
        ['SERVICE', 'STATUS'],
        ...sorted.map(([name, status]): [string, string] => [name === '' ? '""' : name, status]),
      ];
      const width = Math.max(...rows.map(([name]) => name.length)) + 2;
      for (const [name, status] of rows) out(`${name.padEnd(width)}${status}`);
    }
    return EXIT.OK;
  } finally {
    client.close();
  }
}

/** `grpc-health list`. */
export const listCommand: Command = {
  usage: 'grpc-health list -addr host:port [flags]',
  flags: CONNECTION_FLAGS,
  examples: ['grpc-health list -addr localhost:50051', 'grpc-health list -addr localhost:50051 -json | jq .statuses'],
  run: runList,
};
