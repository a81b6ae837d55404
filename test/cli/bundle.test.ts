/**
 * The bundled CLI's import graph (dist/cli-metafile.json, written by
 * scripts/bundle-cli.js): what `grpc-health check` loads never includes grpc-js
 * (issue 20), while the other commands still get it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

interface Output {
  entryPoint?: string;
  inputs: Record<string, unknown>;
  imports: { path: string; kind: string; external?: boolean }[];
}
const { outputs } = JSON.parse(readFileSync(new URL('../../cli-metafile.json', import.meta.url), 'utf8')) as {
  outputs: Record<string, Output>;
};

const outputOf = (entryPoint: string) => {
  const found = Object.keys(outputs).find((name) => outputs[name]!.entryPoint === entryPoint);
  assert.ok(found, `an output for ${entryPoint}`);
  return found;
};

/** The outputs loaded once `starts` are: their static imports, transitively. */
function staticClosure(starts: string[]): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const { path, kind, external } of outputs[name]!.imports) if (!external && kind === 'import-statement') visit(path);
  };
  starts.forEach(visit);
  return seen;
}

const inputsOf = (files: Set<string>) => [...files].flatMap((name) => Object.keys(outputs[name]!.inputs));

describe('the CLI bundle: check never loads grpc-js', () => {
  // The bin imports the dispatcher (main, which holds check) dynamically, after turning the compile cache on.
  const checkPath = staticClosure([outputOf('src/cli/bin.ts'), outputOf('src/cli/main.ts')]);

  it('the check path holds check, its HTTP/2 call and its TLS options', () => {
    const inputs = inputsOf(checkPath);
    for (const source of ['src/cli/check.ts', 'src/cli/h2-check.ts', 'src/cli/tls-options.ts']) assert.ok(inputs.includes(source), source);
  });

  it('no file on the check path contains @grpc/grpc-js (or any @grpc package)', () => {
    const grpc = inputsOf(checkPath).filter((input) => input.includes('node_modules/@grpc/'));
    assert.deepEqual(grpc, []);
  });

  it('nor protoc-gen-es descriptors (their boot alone costs a probe ~15 ms): only the wire codec of @bufbuild/protobuf', () => {
    const inputs = inputsOf(checkPath);
    assert.deepEqual(
      inputs.filter((input) => input.includes('health_pb') || /@bufbuild\/protobuf\/dist\/esm\/(codegenv\d|reflect|registry)/.test(input)),
      [],
    );
  });

  it('(the walk sees grpc-js where it is: watch loads it)', () => {
    const watch = staticClosure([outputOf('src/cli/watch.ts')]);
    assert.ok(inputsOf(watch).some((input) => input.includes('node_modules/@grpc/grpc-js/')));
  });
});
