/** Reading the inputs the way kubectl does: stdin or `-`, files, directories (`-R` recursive). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diag, type Diagnostic } from '../core/diagnostics.js';
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

/** Joins the outputs of several files into one stream, as kubectl would read them. */
export function joinStreams(texts: readonly string[]): string {
  let out = '';
  for (const t of texts) {
    if (!t.trim()) continue;
    if (out) {
      if (!out.endsWith('\n')) out += '\n';
      if (!/^---(?:[ \t]|\r?$)/m.test(t.split('\n').find((l) => l.trim() && !l.startsWith('#')) ?? '')) out += '---\n';
    }
    out += t;
  }
  return out;
}
