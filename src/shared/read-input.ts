/**
 * Bounded reading of every input (manifest files, `--config`, templates,
 * stdin): regular files and pipes only, at most `maxBytes`, strict UTF-8.
 * A device (`/dev/zero`) would be read until memory runs out; a FIFO found by
 * listing a directory would block forever: both are refused with a code. The
 * bytes are decoded strictly, so a valid U+FFFD in the text is text, while an
 * invalid byte sequence is DI1005. Library code: results, never exceptions
 * for bad input.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { diag, type Diagnostic } from './diagnostics.js';

/** Default for `--max-input-size`: 256 MiB per input. */
export const DEFAULT_MAX_INPUT_BYTES = 256 << 20;

export interface ReadOptions {
  /** Most bytes accepted (default DEFAULT_MAX_INPUT_BYTES). */
  maxBytes?: number;
  /**
   * True when the path was found by listing a directory (`-R`, a templates
   * directory): a FIFO there is refused. A FIFO named on the command line is
   * read (it is what `<(cmd)` gives).
   */
  listed?: boolean;
  /** Name for diagnostics (default: the path). */
  name?: string;
}

export type ReadResult = { text: string; diagnostic?: undefined } | { text?: undefined; diagnostic: Diagnostic };

/** Reads a regular file or a pipe as strict UTF-8 text, bounded. */
export function readInputFile(path: string | Buffer, options: ReadOptions = {}): ReadResult {
  const name = options.name ?? path.toString();
  const max = options.maxBytes ?? DEFAULT_MAX_INPUT_BYTES;
  const fail = (code: 'DI1002' | 'DI1005' | 'DI1012' | 'DI1013', message: string): ReadResult => ({ diagnostic: diag(code, message, { file: name }) });
  let fd: number;
  try {
    // non-blocking open: a FIFO without a writer must not hang the open itself
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return fail('DI1002', `cannot read ${name}: ${errText(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return fail('DI1013', `${name} is a directory`);
    if (st.isFIFO()) {
      if (options.listed) return fail('DI1013', `${name} is a FIFO (named pipe) found in a directory listing: refused (it would block)`);
      closeSync(fd);
      fd = openSync(path, constants.O_RDONLY); // named on the command line: wait for its writer
      if (!fstatSync(fd).isFIFO()) return fail('DI1013', `${name} changed while it was opened: refused`);
    } else if (!st.isFile()) {
      return fail('DI1013', `${name} is not a regular file or a pipe (${kindOf(st)}): refused`);
    } else if (st.size > max) {
      return fail('DI1012', tooLarge(name, max));
    }
    const decoder = new BoundedDecoder(name, max);
    const parts: string[] = [];
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        return fail('DI1002', `cannot read ${name}: ${errText(e)}`);
      }
      if (n === 0) break;
      const r = decoder.decode(buf.subarray(0, n));
      if (typeof r !== 'string') return { diagnostic: r };
      parts.push(r);
    }
    const end = decoder.end();
    if (typeof end !== 'string') return { diagnostic: end };
    parts.push(end);
    return { text: parts.join('') };
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/**
 * Strict UTF-8 decoding of a byte stream, chunk by chunk, with a size bound.
 * A byte-order mark is kept (the text is written back as it came). `decode`
 * and `end` return the text, or the diagnostic that stops the read.
 */
export class BoundedDecoder {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private bytes = 0;

  constructor(
    private readonly name: string,
    private readonly maxBytes: number = DEFAULT_MAX_INPUT_BYTES,
  ) {}

  decode(chunk: Uint8Array | string): string | Diagnostic {
    if (typeof chunk === 'string') {
      this.bytes += chunk.length;
      return this.bytes > this.maxBytes ? diag('DI1012', tooLarge(this.name, this.maxBytes), { file: this.name }) : chunk;
    }
    const at = this.bytes;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return diag('DI1012', tooLarge(this.name, this.maxBytes), { file: this.name });
    try {
      return this.decoder.decode(chunk, { stream: true });
    } catch {
      return diag('DI1005', `${this.name} is not valid UTF-8 text (a bad byte sequence within bytes ${at}–${this.bytes}): is it a binary or compressed file?`, {
        file: this.name,
      });
    }
  }

  end(): string | Diagnostic {
    try {
      return this.decoder.decode();
    } catch {
      return diag('DI1005', `${this.name} is not valid UTF-8 text (it ends inside a multi-byte character)`, { file: this.name });
    }
  }
}

/** Parses a size: bytes, or a number with a K, M or G suffix (powers of 1024). */
export function parseSize(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').toUpperCase()[0];
  const n = Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1);
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : undefined;
}

function tooLarge(name: string, max: number): string {
  return `${name} is larger than ${formatSize(max)}: refused (raise the limit with --max-input-size)`;
}

export function formatSize(n: number): string {
  if (n % (1 << 30) === 0) return `${n / (1 << 30)} GiB`;
  if (n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function kindOf(st: { isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  return st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'a special file';
}

function errText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}
