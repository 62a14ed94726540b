/** Reading the inputs the way kubectl does: stdin or `-`, files, directories (`-R` recursive). */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { diag, pushAll, type Diagnostic } from '../shared/diagnostics.js';
import { DEFAULT_MAX_INPUT_BYTES, readInputFile } from '../shared/read-input.js';
import { readStdin, type Io } from './io.js';

export interface Input {
  /** Display name: the path as given, or `<stdin>`. */
  name: string;
  /** Absolute path, absent for stdin. */
  path?: string;
  text: string;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/**
 * Reads stdin and the named files and directories. Files found by listing a
 * directory must be regular files (a FIFO there is DI1013, not a hang); every
 * input is bounded by `maxBytes` and read as strict UTF-8.
 */
export async function readInputs(
  io: Io,
  names: readonly string[],
  recursive: boolean,
  maxBytes = DEFAULT_MAX_INPUT_BYTES,
): Promise<{ inputs: Input[]; diagnostics: Diagnostic[] }> {
  const inputs: Input[] = [];
  const diagnostics: Diagnostic[] = [];
  const list = names.length ? names : ['-'];
  let stdinUsed = false;
  for (const name of list) {
    if (name === '-') {
      if (stdinUsed) continue;
      stdinUsed = true;
      inputs.push({ name: '<stdin>', text: await readStdin(io, maxBytes) });
      continue;
    }
    const path = resolve(io.cwd, name);
    let files: { path: string | Buffer; name: string; listed: boolean }[];
    try {
      files = statSync(path).isDirectory() ? listDir(Buffer.from(path), name, recursive) : [{ path, name, listed: false }];
    } catch (e) {
      diagnostics.push(diag('DI1002', `cannot read ${displayName(name)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file: displayName(name) }));
      continue;
    }
    for (const f of files) {
      const r = readInputFile(f.path, { maxBytes, listed: f.listed, name: f.name });
      if (r.diagnostic) diagnostics.push(r.diagnostic);
      else inputs.push({ name: f.name, path: f.path.toString(), text: r.text });
    }
  }
  return { inputs, diagnostics };
}

/**
 * The manifest files under `dir`, sorted by name. Names are kept as bytes, so
 * that a file name that is not valid UTF-8 is still read (and shown escaped).
 */
function listDir(dir: Buffer, shown: string, recursive: boolean): { path: Buffer; name: string; listed: boolean }[] {
  const out: { path: Buffer; name: string; listed: boolean }[] = [];
  const entries = readdirSync(dir, { withFileTypes: true, encoding: 'buffer' }) as unknown as Dirent<Buffer>[];
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  for (const entry of entries) {
    const p = Buffer.concat([dir, Buffer.from('/'), entry.name]);
    const name = join(shown, displayName(entry.name.toString('utf8')));
    if (entry.isDirectory()) {
      if (recursive) pushAll(out, listDir(p, name, recursive));
    } else if (MANIFEST.test(entry.name.toString('latin1'))) out.push({ path: p, name, listed: true });
  }
  return out;
}

/** A name for messages: control characters (terminal escapes, newlines) and undecodable bytes escaped. */
export function displayName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, (c) => (c === '\ufffd' ? '\\uFFFD' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
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
