/** Reading the inputs the way kubectl does: stdin or `-`, files, directories (`-R` recursive). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diag, type Diagnostic } from '../shared/diagnostics.js';
import { readStdin, type Io } from './io.js';

export interface Input {
  /** Display name: the path as given, or `<stdin>`. */
  name: string;
  /** Absolute path, absent for stdin. */
  path?: string;
  text: string;
}

const MANIFEST = /\.(ya?ml|json)$/i;

export async function readInputs(
  io: Io,
  names: readonly string[],
  recursive: boolean,
): Promise<{ inputs: Input[]; diagnostics: Diagnostic[] }> {
  const inputs: Input[] = [];
  const diagnostics: Diagnostic[] = [];
  const list = names.length ? names : ['-'];
  let stdinUsed = false;
  for (const name of list) {
    if (name === '-') {
      if (stdinUsed) continue;
      stdinUsed = true;
      inputs.push({ name: '<stdin>', text: await readStdin(io) });
      continue;
    }
    const path = resolve(io.cwd, name);
    let files: string[];
    try {
      files = statSync(path).isDirectory() ? listDir(path, recursive) : [path];
    } catch (e) {
      diagnostics.push(diag('DI1002', `cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: name }));
      continue;
    }
    for (const f of files) {
      try {
        const buf = readFileSync(f);
        inputs.push({ name: f === path ? name : join(name, f.slice(path.length + 1)), path: f, text: buf.toString('utf8') });
      } catch (e) {
        diagnostics.push(diag('DI1002', `cannot read ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: f }));
      }
    }
  }
  return { inputs, diagnostics };
}

function listDir(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) out.push(...listDir(p, recursive));
    } else if (MANIFEST.test(entry.name)) out.push(p);
  }
  return out;
}

/**
 * Joins the outputs of several files (each a list of pieces) into one stream,
 * as kubectl would read them: a `---` between files where the next one does not
 * start with its own.
 */
export function joinStreams(outputs: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  let last = '';
  for (const pieces of outputs) {
    const first = pieces.find((p) => p.trim() !== '');
    if (first === undefined) continue;
    if (out.length) {
      if (!last.endsWith('\n')) out.push('\n');
      const firstLine = first.split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? '';
      if (!/^---(?:[ \t]|\r?$)/.test(firstLine)) out.push('---\n');
    }
    for (const p of pieces) if (p !== '') out.push(p);
    last = out[out.length - 1] ?? '';
  }
  return out;
}
