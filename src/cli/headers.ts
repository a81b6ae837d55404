/**
 * `-rpc-header 'name: value'`: read as grpc-health-probe reads it (split at the
 * first colon, name lower-cased, leading spaces of the value dropped), then
 * checked against what gRPC metadata can carry, so a header the call could not
 * send is refused before connecting (exit 1, one line) instead of failing inside
 * grpc-js.
 */
import { goQuote, UsageError } from './flags.js';

/** One header to send: a text value, or raw bytes for a `-bin` name (sent base64-encoded, as grpc-go does). */
export type RpcHeader = [name: string, value: string | Buffer];

/** The flag-time check (the probe's `Set`): an error message, or `undefined`. */
export function checkHeaderFlag(text: string): string | undefined {
  return text.includes(':') ? undefined : `invalid RPC header, expected 'key: value', got ${goQuote(text)}`;
}

/** gRPC metadata names: lower-case letters, digits, `_`, `-`, `.`. */
const LEGAL_NAME = /^[0-9a-z_.-]+$/;
/** gRPC metadata text values: printable ASCII. */
const LEGAL_VALUE = /^[ -~]*$/;

/** Splits and checks the `-rpc-header` values; throws {@link UsageError} for one that cannot be sent. */
export function parseHeaders(texts: readonly string[]): RpcHeader[] {
  return texts.map((text): RpcHeader => {
    const colon = text.indexOf(':');
    const name = text.slice(0, colon).toLowerCase();
    const value = text.slice(colon + 1).replace(/^\s+/, '');
    const refuse = (why: string) => new UsageError(`cannot send RPC header ${goQuote(text)}: ${why}`);
    if (name === '') throw refuse('empty name');
    if (!LEGAL_NAME.test(name)) throw refuse('a name may only have letters, digits, "_", "-" and "."');
    if (name.endsWith('-bin')) return [name, Buffer.from(value, 'utf8')];
    if (!LEGAL_VALUE.test(value)) throw refuse('a value may only have printable ASCII characters (use a "-bin" name for bytes)');
    return [name, value];
  });
}

/** The headers as the probe's `-v` prints them: Go's `%s` of its metadata struct, `{map[a:[1] b:[2 3]]}`. */
export function describeHeaders(headers: readonly RpcHeader[]): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of headers) byName.set(name, [...(byName.get(name) ?? []), value.toString()]);
  const entries = [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{map[${entries.map(([name, values]) => `${name}:[${values.join(' ')}]`).join(' ')}]}`;
}
