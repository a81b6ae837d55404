/**
 * A guide (README.md, docs/*.md) as a test reads it: the blocks it marks with an HTML
 * comment on the line before the fence, in the order a reader meets them.
 *
 *   <!-- install -->          sh: the project's set-up lines (npm init, npm install ...)
 *   <!-- file: src/a.ts -->   the whole file at that path of the reader's project
 *   <!-- fragment: src/a.ts --> part of that file: it must appear in the guide's whole
 *                             file, or is put into test/docs/frames/<guide>/src/a.ts
 *                             (.frame) where that frame says `/* fragment *\/`
 *   <!-- command: name -->    sh: lines the reader types (`\` continues a line; a
 *                             ` # comment` is not part of the command)
 *   <!-- output: name -->     what the command `name` prints
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../packed-package.js';

/** A marked block. */
export interface GuideBlock {
  kind: 'install' | 'file' | 'fragment' | 'command' | 'output';
  /** The path (file, fragment) or name (command, output). */
  name: string;
  /** Line of the opening fence, 1-based. */
  line: number;
  text: string;
}

const KINDS = new Set(['install', 'file', 'fragment', 'command', 'output']);

/** A guide's marked blocks. */
export class Guide {
  readonly blocks: GuideBlock[] = [];

  constructor(
    /** Relative to the repository root: `README.md`, `docs/cli.md`. */
    readonly path: string,
  ) {
    const lines = readFileSync(join(root, path), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^```/.test(lines[i]!)) continue;
      const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
      assert.ok(end > i, `${path}:${i + 1}: the block never closes`);
      const marker = /^<!--\s*([\w-]+)(?::\s*(.+?))?\s*-->$/.exec(lines[i - 1]?.trim() ?? '');
      if (marker && KINDS.has(marker[1]!)) {
        this.blocks.push({
          kind: marker[1] as GuideBlock['kind'],
          name: marker[2] ?? '',
          line: i + 1,
          text: lines.slice(i + 1, end).join('\n') + '\n',
        });
      }
      i = end;
    }
  }

  /** The blocks of one kind. */
  of(kind: GuideBlock['kind']): GuideBlock[] {
    return this.blocks.filter((block) => block.kind === kind);
  }

  /** The one block of that kind and name. */
  block(kind: GuideBlock['kind'], name: string): GuideBlock {
    const found = this.blocks.filter((block) => block.kind === kind && block.name === name);
    assert.equal(found.length, 1, `${this.path}: ${found.length} blocks marked "${kind}: ${name}"`);
    return found[0]!;
  }

  /** The commands of a `command` (or `install`) block, one per entry. */
  commands(name: string, kind: 'command' | 'install' = 'command'): string[] {
    return shellLines(this.block(kind, name).text);
  }

  /** What an `output` block shows, without its final newline. */
  output(name: string): string {
    return this.block('output', name).text.replace(/\n$/, '');
  }
}

/** Shell lines: continuations joined, comments and blank lines dropped. */
export function shellLines(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/(^|\s+)#\s.*$/, '').trim())
    .filter((line) => line !== '');
}
