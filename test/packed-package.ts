/**
 * The package as users get it: `npm pack` of the built repository, installed with the
 * user's own @grpc/grpc-js (and any other peer) into a project.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
/** The repository's root (tests run from dist/test/). */
export const root = join(import.meta.dirname, '../..');

/** A project with the packed package installed. */
export interface PackedProject {
  dir: string;
  /** The tarball `npm pack` made, in `dir`. */
  tarball: string;
  /** Every file in the tarball, relative to the package root. */
  files: string[];
}

/** The version of a package in the repository's node_modules. */
async function repositoryVersion(name: string): Promise<string> {
  return JSON.parse(await readFile(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/**
 * Packs the repository and installs the tarball into `dir`, an empty project with
 * `packageJson`, with every peer dependency (the optional ones too, so each subpath
 * export loads) at the version the repository tests with.
 */
export async function installPacked(dir: string, packageJson: object): Promise<PackedProject> {
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: root });
  const [info] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  const { peerDependencies = {} } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const peers = await Promise.all(Object.keys(peerDependencies).map(async (name) => `${name}@${await repositoryVersion(name)}`));
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'user-app', private: true, ...packageJson }));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename), ...peers], {
    cwd: dir,
    timeout: 150_000,
  });
  return { dir, tarball: join(dir, info.filename), files: info.files.map((file) => file.path) };
}
