/**
 * The package as users get it: `npm pack` of the built repository, installed with the
 * user's own @grpc/grpc-js (the version the repository tests with) into a project.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
/** The repository's root (tests run from dist/test/). */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/** A project with the packed package installed. */
export interface PackedProject {
  dir: string;
  /** Every file in the tarball, relative to the package root. */
  files: string[];
}

/** Packs the repository and installs the tarball into `dir`, an empty project with `packageJson`. */
export async function installPacked(dir: string, packageJson: object): Promise<PackedProject> {
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
  const [info] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  const grpcVersion = JSON.parse(await readFile(join(root, 'node_modules/@grpc/grpc-js/package.json'), 'utf8')).version;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', private: true, ...packageJson }));
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename), `@grpc/grpc-js@${grpcVersion}`],
    { cwd: dir, timeout: 150_000 },
  );
  return { dir, files: info.files.map((file) => file.path) };
}
