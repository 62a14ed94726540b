/**
 * Safe output files. `-o FILE` is written to a temporary file created
 * exclusively (O_EXCL, a random name, mode 0600) in the target's directory,
 * then renamed over the target: a symlink planted at a predictable temporary
 * name is never followed, and a reader never sees half a file. The target must
 * be a regular file (or a symlink to one: the file it points to is replaced,
 * the link kept) or absent: a FIFO, a device or a directory is refused
 * (DI1014). An existing target keeps its mode and (where permitted) its
 * owner; a new file is 0600 when the stream holds a `kind: Secret`, else
 * 0666 less the umask. Temporary files are removed on every error, and on
 * SIGINT, SIGTERM and SIGHUP (`removeTempFilesOnSignals`, installed by the
 * CLI's entry).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fstatSync, fsyncSync, lstatSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../shared/errors.js';
import { liveTempFiles, removeTempFiles } from './temp-files.js';

const live = liveTempFiles;

let installed = false;

/** The CLI's entry calls this once: a signal removes the temporary files, then ends the process as the signal would. */
export function removeTempFilesOnSignals(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      removeTempFiles();
      process.kill(process.pid, sig); // the listener is gone: the default action ends the process
    });
  }
  process.once('exit', removeTempFiles);
}

/** `-o` refusals and write failures: `file: error DI1014: message`. */
export function outputError(path: string, message: string): InputError {
  return new InputError(`${path}: error DI1014: ${message}`);
}

/** A temporary file opened exclusively (mode 0600) in `dir`; registered for removal. */
export function createTempFile(dir: string, base: string): { path: string; fd: number } {
  for (let attempt = 0; ; attempt++) {
    const path = join(dir, `.${base}.${randomBytes(8).toString('hex')}.tmp`);
    try {
      const fd = openSync(path, 'wx', 0o600);
      live.add(path);
      return { path, fd };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 8) continue;
      throw outputError(dir, `cannot create a temporary file in ${dir}: ${errText(e)}`);
    }
  }
}

/** Closes and removes a temporary file. */
export function discardTempFile(tmp: { path: string; fd: number | undefined }): void {
  if (tmp.fd !== undefined) {
    try {
      closeSync(tmp.fd);
    } catch {
      // already closed
    }
  }
  rmSync(tmp.path, { force: true });
  live.delete(tmp.path);
}

export interface Target {
  /** The file that will be replaced (a symlink's target), absolute. */
  path: string;
  /** Mode and owner of the existing file. */
  existing?: { mode: number; uid: number; gid: number };
}

/** Checks an `-o` target before anything is read: absent, or a regular file (through symlinks). */
export function checkTarget(path: string): Target {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path };
    throw outputError(path, `cannot write ${path}: ${errText(e)}`);
  }
  let real = path;
  if (st.isSymbolicLink()) {
    try {
      real = realpathSync(path);
      st = statSync(real);
    } catch (e) {
      throw outputError(path, `${path} is a symbolic link to a missing or unreadable file (${errText(e)}): refused`);
    }
  }
  if (!st.isFile()) throw outputError(path, `${path} is not a regular file (${kindOf(st)}): refused; write to stdout and redirect instead`);
  return { path: real, existing: { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } };
}

const SECRET = /(?:^|[\s{,"'])kind["']?[ \t]*:[ \t]*["']?Secret\b/m;

/** True when a piece of output declares a `kind: Secret` (in a stream, a List or JSON). */
export function holdsSecret(piece: string): boolean {
  return piece.includes('Secret') && SECRET.test(piece);
}

/**
 * Writes `pieces` to `target` through an exclusive temporary file and a rename.
 * Every failure (ENOSPC, permissions) removes the temporary file and is DI1014.
 */
export function writeOutputFile(path: string, pieces: string | readonly string[]): void {
  const target = checkTarget(path);
  const out = new OutputFile(target);
  try {
    for (const p of typeof pieces === 'string' ? [pieces] : pieces) out.write(p);
    out.commit();
  } catch (e) {
    out.discard();
    throw e instanceof InputError ? e : outputError(path, `cannot write ${path}: ${errText(e)}`);
  }
}

/** An output file being written: pieces go to the temporary file; `commit` renames it over the target. */
export class OutputFile {
  private readonly tmp: { path: string; fd: number | undefined };
  private secret = false;

  constructor(private readonly target: Target) {
    const t = createTempFile(dirname(target.path), basename(target.path));
    this.tmp = t;
  }

  write(piece: string): void {
    if (piece === '') return;
    if (!this.secret && holdsSecret(piece)) this.secret = true;
    try {
      writeAll(this.tmp.fd!, piece);
    } catch (e) {
      this.discard();
      throw outputError(this.target.path, `cannot write ${this.target.path}: ${errText(e)}`);
    }
  }

  commit(): void {
    const fd = this.tmp.fd!;
    try {
      const existing = this.target.existing;
      if (existing) {
        fchmodSync(fd, existing.mode);
        const st = fstatSync(fd);
        if (st.uid !== existing.uid || st.gid !== existing.gid) {
          try {
            fchownSync(fd, existing.uid, existing.gid);
          } catch {
            // not permitted (not root): the file is ours, as any rewrite would make it
          }
        }
      } else fchmodSync(fd, this.secret ? 0o600 : 0o666 & ~process.umask());
      fsyncSync(fd);
      closeSync(fd);
      this.tmp.fd = undefined;
      renameSync(this.tmp.path, this.target.path);
      live.delete(this.tmp.path);
    } catch (e) {
      this.discard();
      throw outputError(this.target.path, `cannot write ${this.target.path}: ${errText(e)}`);
    }
  }

  discard(): void {
    discardTempFile(this.tmp);
  }
}

/**
 * Writes all of `text`: writeSync may write less than asked (a full disk
 * first gives a short write, and only the next write fails with ENOSPC).
 */
export function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  for (let off = 0; off < buf.length; ) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error('no space left on the device'), { code: 'ENOSPC' });
    off += n;
  }
}

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

function errText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}
