import assert from 'node:assert/strict';
import { isAbsolute } from 'node:path';
import { describe, it } from 'node:test';
import { loadSync } from '@grpc/proto-loader';
import { protoPath } from '../src/index.js';

describe('protoPath', () => {
  it('is the absolute path of the shipped health.proto, loadable by @grpc/proto-loader', () => {
    assert.ok(isAbsolute(protoPath) && protoPath.endsWith('proto/grpc/health/v1/health.proto'), protoPath);
    const definition = loadSync(protoPath);
    const service = definition['grpc.health.v1.Health'] as Record<string, { path: string }>;
    assert.deepEqual(
      Object.values(service)
        .map((method) => method.path)
        .sort(),
      ['/grpc.health.v1.Health/Check', '/grpc.health.v1.Health/List', '/grpc.health.v1.Health/Watch'],
    );
  });
});
