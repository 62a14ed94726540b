/**
 * The CLI's streams and errors. Commands receive an `Io` instead of touching
 * `process`, so tests run the real CLI in-process.
 */
import { readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { formatDiagnostic, type Diagnostic } from '../shared/diagnostics.js';
import { InputError } from '../shared/errors.js';
import { BoundedDecoder, DEFAULT_MAX_INPUT_BYTES } from '../shared/read-input.js';
import { tempFilesExist } from './temp-files.js';

export interface Io {
  /** A stream (process.stdin), any async iterable of chunks, or a function giving the whole text (tests). */
  stdin: Readable | AsyncIterable<Buffer | string> | (() => Promise<string>);
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Standard input as chunks, read with blocking reads: no stream machinery, ~10
 * ms less per run than iterating process.stdin (a Helm post-renderer starts on
 * every install). A descriptor in non-blocking mode (EAGAIN) is read through
 * process.stdin from there on. `first` is a chunk the bin already read.
 */
export async function* stdinChunks(first?: Buffer): AsyncGenerator<Buffer> {
  if (first) yield first;
  for (;;) {
    if (tempFilesExist()) {
      // a temporary file exists: a blocking read would hold off the signal handler that removes it
      for await (const chunk of process.stdin) yield chunk as Buffer;
      return;
    }
    const buf = Buffer.allocUnsafe(STDIN_CHUNK);
    let n: number;
    try {
      n = readSync(0, buf, 0, STDIN_CHUNK, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        for await (const chunk of process.stdin) yield chunk as Buffer;
        return;
      }
      if (code === 'EOF') return; // a closed pipe, on Windows
      throw stdinError(e);
    }
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

const STDIN_CHUNK = 1 << 16;

/** A read error on stdin (a directory given as stdin: EISDIR) as an input error with a code. */
export function stdinError(e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const what = code === 'EISDIR' ? 'is a directory' : `cannot be read: ${code ?? (e as Error).message}`;
  const error = new InputError(`<stdin>: error ${code === 'EISDIR' ? 'DI1013' : 'DI1002'}: standard input ${what}`);
  return error;
}

/**
 * The whole of stdin as text: strict UTF-8 (an invalid byte sequence is DI1005,
 * a valid U+FFFD is text), at most `maxBytes` (DI1012).
 */
export async function readStdin(io: Io, maxBytes = DEFAULT_MAX_INPUT_BYTES): Promise<string> {
  if (typeof io.stdin === 'function') return io.stdin();
  // decoded chunk by chunk, so the raw buffers are not all held next to the text
  const decoder = new BoundedDecoder('<stdin>', maxBytes);
  const parts: string[] = [];
  const take = (r: string | Diagnostic): void => {
    if (typeof r !== 'string') throw new InputError(formatDiagnostic(r));
    parts.push(r);
  };
  try {
    for await (const chunk of io.stdin) take(decoder.decode(chunk as Buffer | string));
  } catch (e) {
    throw e instanceof InputError ? e : stdinError(e);
  }
  take(decoder.end());
  return parts.join('');
}

export type DiagnosticFormat = 'text' | 'json';

/** Prints diagnostics on stderr: text (warnings and errors; infos with `verbose`) or one JSON document. */
export function reportDiagnostics(io: Io, diagnostics: readonly Diagnostic[], format: DiagnosticFormat, verbose: boolean): void {
  if (format === 'json') {
    io.stderr.write(`${JSON.stringify({ diagnostics }, null, 2)}\n`);
    return;
  }
  for (const d of diagnostics) {
    if (d.severity === 'info' && !verbose) continue;
    io.stderr.write(`${formatDiagnostic(d)}\n`);
  }
}
