/**
 * Dashboard targets: what a person names (`host:port`, `dns:///name:port`,
 * `unix:///path`) and the backends each one stands for right now. A `dns:///`
 * target stands for every address its name resolves to, and is resolved again
 * periodically by the fleet watcher; the others stand for themselves.
 */
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { HealthArgumentError } from '../errors.js';

/** A target as given, parsed. */
export type Target =
  /** Watched as one backend: `host:port`, `ipv4:…`, `unix:…`. */
  | { kind: 'fixed'; text: string; address: string }
  /** Expanded to one backend per address of `host`. */
  | { kind: 'dns'; text: string; host: string; port: number }
  /** A line of a targets file that is not a target: shown with its error, never watched. */
  | { kind: 'invalid'; text: string; error: string };

/** One backend of a target: its own grpc-js target, so each gets its own connection. */
export interface Backend {
  /** The address shown and used as the backend's key, e.g. `127.0.0.2:50051`. */
  address: string;
  /** The target (as given) it was found through. */
  target: string;
}

// Longest target we accept; a DNS name is at most 253 characters.
const MAX_TARGET_LENGTH = 1024;

function splitHostPort(text: string, whole: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new HealthArgumentError(`target ${JSON.stringify(whole)}: expected host:port with a port from 1 to 65535`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** Reads one target; throws {@link HealthArgumentError} for anything else. */
export function parseTarget(text: string): Target {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > MAX_TARGET_LENGTH || /[\s\0]/.test(trimmed)) {
    throw new HealthArgumentError(
      `target ${JSON.stringify(text.slice(0, 100))}: not a target (host:port, dns:///name:port or unix:///path)`,
    );
  }
  if (trimmed.startsWith('unix:')) {
    if (trimmed.length <= 'unix:'.length) throw new HealthArgumentError(`target ${JSON.stringify(trimmed)}: no socket path`);
    return { kind: 'fixed', text: trimmed, address: trimmed };
  }
  if (trimmed.startsWith('dns:')) {
    // dns:///name:port, or dns://authority/name:port (the authority is ignored: the system resolver answers).
    const rest = /^dns:(?:\/\/[^/]*\/)?(.*)$/.exec(trimmed)![1]!;
    const { host, port } = splitHostPort(rest, trimmed);
    if (isIP(host)) return { kind: 'fixed', text: trimmed, address: joinHostPort(host, port) };
    return { kind: 'dns', text: trimmed, host, port };
  }
  const { host, port } = splitHostPort(trimmed, trimmed);
  if (isIP(host)) return { kind: 'fixed', text: trimmed, address: joinHostPort(host, port) };
  // A bare host name is what grpc-js would resolve too: every address it has.
  return { kind: 'dns', text: trimmed, host, port };
}

/** `host:port`, with brackets around an IPv6 address. */
export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Reads a targets file: one target a line; blank lines and `#` comments are
 * skipped. A line that is not a target becomes an `invalid` target naming the
 * line, so one typo in a long file is shown rather than stopping the rest.
 * Throws {@link HealthArgumentError} when the file cannot be read.
 */
export function readTargetsFile(path: string): Target[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HealthArgumentError(`targets file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const targets: Target[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    try {
      targets.push(parseTarget(line));
    } catch (error) {
      targets.push({
        kind: 'invalid',
        text: line,
        error: `targets file ${JSON.stringify(path)} line ${index + 1}: ${(error as Error).message}`,
      });
    }
  }
  return targets;
}

/** Every address a host name has (the system resolver by default). */
export type HostLookup = (host: string) => Promise<string[]>;

/** The system resolver, as grpc-js's `dns:` resolver asks it. */
export const systemLookup: HostLookup = async (host) => (await lookup(host, { all: true })).map((entry) => entry.address);

/** What resolving a target gave: its backends, or why there are none. */
export type Resolution = { backends: Backend[]; error?: undefined } | { error: string; backends?: undefined };

/**
 * The backends a target stands for now, or the error: the resolver's, or
 * `resolved to no address`. Never throws.
 */
export async function resolveTarget(target: Target, lookupHost: HostLookup = systemLookup): Promise<Resolution> {
  if (target.kind === 'fixed') return { backends: [{ address: target.address, target: target.text }] };
  if (target.kind === 'invalid') return { error: target.error };
  let unique: string[];
  try {
    const addresses = await lookupHost(target.host);
    unique = [...new Set(addresses.map((address) => joinHostPort(address, target.port)))];
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  if (unique.length === 0) return { error: 'resolved to no address' };
  return { backends: unique.map((address) => ({ address, target: target.text })) };
}
