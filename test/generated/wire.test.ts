/**
 * Wire compatibility: our generated code against the reference Go protobuf
 * encoder (buf's `convert`, reading the upstream grpc-proto health.proto as
 * shipped in grpc-health-check), byte for byte where protobuf encoding is
 * canonical, by meaning for maps (whose entry order no implementation fixes).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse, HealthService } from '../../src/index.js';

const require = createRequire(import.meta.url);
const upstreamDir = join(dirname(require.resolve('grpc-health-check/proto/health/v1/health.proto')), '../..');
const buf = join(dirname(require.resolve('@bufbuild/buf/package.json')), 'bin', 'buf');

/** Converts with the Go reference implementation: `from` and `to` are `json` or `binpb`. */
function convert(type: string, input: Buffer | string, from: 'json' | 'binpb', to: 'json' | 'binpb'): Buffer {
  return execFileSync(
    buf,
    ['convert', upstreamDir, '--type', `grpc.health.v1.${type}`, '--from', `-#format=${from}`, '--to', `-#format=${to}`],
    { input },
  );
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('wire compatibility with the upstream proto (Go reference encoder)', () => {
  it('encodes HealthCheckRequest identically', () => {
    for (const service of ['', 'a', 'grpc.health.v1.Health', 'ünïcode.Ѕervice', 'x'.repeat(300)]) {
      const reference = convert('HealthCheckRequest', JSON.stringify({ service }), 'json', 'binpb');
      assert.equal(hex(HealthCheckRequest.encode({ service }).finish()), hex(reference), service);
      assert.deepEqual(HealthCheckRequest.decode(reference), { service });
    }
  });

  it('encodes every HealthCheckResponse status identically, cached replies included', () => {
    const names = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
    for (const [status, name] of names.entries()) {
      const reference = convert('HealthCheckResponse', JSON.stringify({ status: name }), 'json', 'binpb');
      assert.equal(hex(HealthCheckResponse.encode({ status }).finish()), hex(reference), name);
      assert.equal(hex(HealthService.watch.responseSerialize({ status })), hex(reference), name);
    }
  });

  it('encodes HealthListRequest identically and HealthListResponse to the same meaning', () => {
    assert.equal(hex(HealthListRequest.encode({}).finish()), hex(convert('HealthListRequest', '{}', 'json', 'binpb')));
    const statuses = { '': { status: 1 }, 'a.A': { status: 2 }, 'b.B': { status: 0 } };
    const ours = Buffer.from(HealthListResponse.encode({ statuses }).finish());
    const readByGo = JSON.parse(convert('HealthListResponse', ours, 'binpb', 'json').toString());
    assert.deepEqual(readByGo, { statuses: { '': { status: 'SERVING' }, 'a.A': { status: 'NOT_SERVING' }, 'b.B': {} } });
    const fromGo = convert('HealthListResponse', JSON.stringify(readByGo), 'json', 'binpb');
    assert.deepEqual(HealthListResponse.decode(fromGo), { statuses });
  });

  it('declares the same methods, paths and streaming shapes as upstream', () => {
    const upstream = readFileSync(join(upstreamDir, 'health/v1/health.proto'), 'utf8');
    const rpcs = [...upstream.matchAll(/rpc (\w+)\((\w+)\) returns \((stream )?(\w+)\)/g)];
    assert.equal(rpcs.length, Object.keys(HealthService).length);
    for (const [, name, , stream] of rpcs) {
      const ours = Object.values(HealthService).find((m) => m.path === `/grpc.health.v1.Health/${name}`);
      assert.ok(ours, name);
      assert.equal(ours.responseStream, stream !== undefined, name);
      assert.equal(ours.requestStream, false, name);
    }
  });
});
