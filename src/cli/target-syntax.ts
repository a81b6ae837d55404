/**
 * Whether grpc-js can ever connect to a target string, decided up front by its
 * own rules: a target that never parses makes grpc-js fail every attempt
 * (`Failed to parse DNS address`), so `watch` would retry forever. The rules
 * (grpc-js 1.x, `uri-parser` and the `dns`, `ipv4`, `ipv6` and `unix`
 * resolvers): `scheme:` + optional `//authority/` + path; an unknown scheme
 * makes the whole string a `dns:` path; a `dns:` path is `host`, `host:port`
 * (digits) or `[ipv6]` / `[ipv6]:port`; `ipv4:` and `ipv6:` take a comma list of
 * such addresses of their family.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { experimental } from '@grpc/grpc-js';
import { UsageError } from './flags.js';
import type { ConnectionSettings } from './options.js';

const URI = /^(?:([A-Za-z0-9+.-]+):)?(?:\/\/[^/]*\/)?(.+)$/;
const RESOLVERS = new Set(['dns', 'ipv4', 'ipv6', 'unix']);

function hostPortError(text: string, family?: 'ipv4' | 'ipv6'): string | undefined {
  const parsed = experimental.splitHostPort(text);
  if (!parsed) return 'expected host:port with a numeric port';
  if (parsed.host === '') return 'no host';
  if (parsed.port !== undefined && parsed.port > 65535) return `port ${parsed.port} is out of range (1 to 65535)`;
  if (family === 'ipv4' && !isIPv4(parsed.host)) return `${JSON.stringify(parsed.host)} is not an IPv4 address`;
  if (family === 'ipv6' && !isIPv6(parsed.host)) return `${JSON.stringify(parsed.host)} is not an IPv6 address`;
  return undefined;
}

/** Why grpc-js could never connect to `target`, or `undefined` when it parses. */
export function targetSyntaxError(target: string): string | undefined {
  const match = URI.exec(target);
  if (!match) return 'empty target';
  const scheme = match[1] !== undefined && RESOLVERS.has(match[1]) ? match[1] : 'dns';
  const path = scheme === match[1] ? match[2]! : target;
  if (scheme === 'unix') return undefined;
  if (scheme === 'dns') return hostPortError(path);
  for (const address of path.split(',')) {
    const error = hostPortError(address, scheme as 'ipv4' | 'ipv6');
    if (error) return error;
  }
  return undefined;
}

/**
 * Refuses an `-addr` grpc-js can never connect to with a {@link UsageError} (exit 1),
 * for the commands that would otherwise retry it forever. `check` does not call
 * this: grpc-health-probe exits 2 for it, and `check` keeps the probe's codes.
 */
export function checkAddr(settings: Pick<ConnectionSettings, 'addr' | 'target'>): void {
  const error = targetSyntaxError(settings.target);
  if (error !== undefined) throw new UsageError(`-addr ${JSON.stringify(settings.addr)}: ${error}`);
}
