/**
 * The default command: the kubectl-style pipe filter and Helm 3 post-renderer.
 * stdin/files → transformManifests → stdout or `-o FILE`, all or nothing.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { StringDecoder } from 'node:string_decoder';
import { formatDiagnostic, hasErrors, pushAll, type Diagnostic } from '../../shared/diagnostics.js';
import { BoundedDecoder, readInputFile } from '../../shared/read-input.js';
import type { Hardening } from '../../core/hardening.js';
import type { FunctionConfig } from '../../core/options.js';
import type { ManifestStream } from '../../core/pipeline.js';
import { firstDocument, lastMarker } from '../../core/stream.js';
import { InputError } from '../../shared/errors.js';
import { reportDiagnostics, stdinError, type DiagnosticFormat, type Io } from '../io.js';
import { joinStreams, readInputs } from '../inputs.js';
import { checkFormat, collect, commonOptions, loadCatalogueFor, parseFlags, parseMaxInputSize, type CommonOptions } from '../options.js';
import { checkTarget, createTempFile, discardTempFile, OutputFile, outputError, writeAll, writeOutputFile, type Target } from '../safe-write.js';

interface ManifestOptions extends CommonOptions {
  filename: string[];
  recursive?: boolean;
  output?: string;
  diff?: boolean;
  check?: boolean;
  config?: string;
  helmPlugin?: boolean;
}

export function manifestsCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const cmd = program
    .command('transform', { isDefault: true, hidden: true })
    .description('rewrite Kubernetes manifests (stdin, files or directories) and print them')
    .argument('[files...]', 'files or directories; - or nothing for stdin')
    .option('-f, --filename <path>', 'file or directory to read (repeatable; - for stdin)', collect, [])
    .option('-R, --recursive', 'read directories recursively')
    .option('-o, --output <file>', 'write the result to FILE (atomically) instead of stdout');
  commonOptions(cmd)
    .option('--diff', 'print a unified diff instead of the result')
    .option('--check', 'exit 1 when something would change (for CI); prints nothing on stdout')
    .option('--config <file>', 'read options from a DistrolessInit (or ConfigMap) file: the kustomize plugin passes its config this way')
    .addOption(new Option('--helm-plugin', 'Helm 4 post-renderer plugin mode: errors travel in a document Helm shows').hideHelp())
    .action(async (files: string[], opts: ManifestOptions) => {
      const names = [...opts.filename, ...files];
      if (!opts.helmPlugin) return setExit(await runManifests(io, names, opts));
      const { runAsHelmPlugin } = await import('../helm-plugin.js');
      setExit(await runAsHelmPlugin(io, (pio) => runManifests(pio, names, opts)));
    });
}

export async function runManifests(io: Io, names: string[], opts: ManifestOptions): Promise<number> {
  const format: DiagnosticFormat = checkFormat(opts.outputFormat);
  const maxBytes = parseMaxInputSize(opts.maxInputSize);
  const config = opts.config ? await readConfigFile(io, opts.config, maxBytes) : undefined;
  const flags = parseFlags(opts);
  // the command line's options win over the --config file's
  const { images, hardening, mirrors, templates } = config
    ? {
        images: { ...config.images, ...flags.images },
        hardening: { ...config.hardening, ...flags.hardening },
        templates: [...flags.templates, ...config.templates],
        mirrors: [...config.mirrors, ...flags.mirrors],
      }
    : flags;
  // stdin is transformed as it arrives (one copy of a large stream in memory, not two),
  // unless the whole text is needed: --diff, a ResourceList or JSON (checked on its first document)
  const streamable = !opts.diff && io.env.DISTROLESS_INIT_NO_STREAM !== '1' && typeof io.stdin !== 'function' && names.every((n) => n === '-');
  // `-o -` is stdout; any other -o target is checked before the input is read (a FIFO or a device is refused)
  const output = opts.output === '-' ? undefined : opts.output;
  const target = output !== undefined && !opts.check && !opts.diff ? checkTarget(resolve(io.cwd, output)) : undefined;
  const spill = streamable ? new Spill(target) : undefined;
  let streamed: Awaited<ReturnType<typeof streamStdin>> | undefined;
  try {
    streamed = spill ? await streamStdin(io, templates, mirrors, images, hardening, spill, maxBytes) : undefined;
  } catch (e) {
    spill?.discard(); // a read error mid-stream: the spilled part goes too
    throw e;
  }
  if (streamed?.result) {
    const { result, diagnostics } = streamed.result;
    pushAll(diagnostics, result.diagnostics);
    reportDiagnostics(io, diagnostics, format, opts.verbose ?? false);
    if (hasErrors(diagnostics) || opts.check) {
      spill!.discard();
      return hasErrors(diagnostics) ? 1 : result.changed ? 1 : 0;
    }
    try {
      spill!.write(result.pieces);
      spill!.commit(io);
    } finally {
      spill!.discard();
    }
    return 0;
  }
  spill?.discard();
  const read = streamed?.text !== undefined ? { inputs: [{ name: '<stdin>', text: streamed.text }], diagnostics: [] } : await readInputs(io, names, opts.recursive ?? false, maxBytes);
  if (!opts.output && templates.length === 0 && read.diagnostics.length === 0 && read.inputs.every((i) => i.text === '')) {
    reportDiagnostics(io, [], format, opts.verbose ?? false);
    return 0; // nothing to rewrite: answer before loading the YAML machinery
  }
  const [{ transformManifestPieces }, { isResourceList, transformResourceList }, loaded] = await Promise.all([
    import('../../core/pipeline.js'),
    import('../../adapters/krm.js'),
    loadCatalogueFor(templates, mirrors, maxBytes),
  ]);
  const { catalogue, diagnostics } = loaded;
  pushAll(diagnostics, read.diagnostics);
  const only = read.inputs.length === 1 ? read.inputs[0]! : undefined;
  if (only && !hasErrors(diagnostics) && isResourceList(only.text)) {
    // KRM exec function (kpt, kustomize --enable-exec): ResourceList in, ResourceList out
    const r = transformResourceList(only.text, { catalogue, templates, mirrors, images, hardening, cwd: io.cwd });
    reportDiagnostics(io, r.diagnostics, format, opts.verbose ?? false);
    // a KRM runner reads the list even on failure (its results carry the errors); --check, --diff and -o do not
    if (opts.check) return r.failed || r.changed ? 1 : 0;
    if (opts.diff) {
      if (r.failed) return 1;
      if (r.changed) {
        const [{ formatPatch }, { boundedStructuredPatch }] = await Promise.all([import('diff'), import('../bounded-diff.js')]);
        io.stdout.write(formatPatch(boundedStructuredPatch(only.name, only.name, only.text, r.output, 'original', 'distroless-init')));
      }
      return 0;
    }
    if (target) {
      if (r.failed) return 1;
      writeOutputFile(target.path, r.output);
      return 0;
    }
    io.stdout.write(r.output);
    return r.failed ? 1 : 0;
  }
  const { streamDiff } = opts.diff ? await import('../stream-diff.js') : { streamDiff: undefined };
  const outputs: string[][] = [];
  const diffs: string[] = [];
  let changed = false;
  for (const input of read.inputs) {
    const r = transformManifestPieces(input.text, {
      catalogue,
      images,
      hardening,
      file: input.name,
    });
    pushAll(diagnostics, r.diagnostics);
    changed ||= r.changed;
    outputs.push(r.pieces);
    if (streamDiff && r.changed) diffs.push(streamDiff(input.name, input.text, r.pieces));
  }
  reportDiagnostics(io, diagnostics, format, opts.verbose ?? false);
  if (hasErrors(diagnostics as Diagnostic[])) return 1;
  if (opts.check) return changed ? 1 : 0;
  if (opts.diff) {
    io.stdout.write(diffs.join(''));
    return 0;
  }
  const pieces = joinStreams(outputs);
  if (target) writeOutputFile(target.path, pieces);
  else if (io.env.DISTROLESS_INIT_NO_STREAM === '1') io.stdout.write(pieces.join('')); // one write, for comparisons (bench/run.mjs)
  else for (const piece of pieces) io.stdout.write(piece);
  return 0;
}

/**
 * Reads a `--config` file (DistrolessInit or ConfigMap: the kustomize plugin passes
 * its config this way), bounded like every input; relative template directories are
 * resolved against the working directory. A problem in it is an input error (exit 1).
 */
async function readConfigFile(io: Io, file: string, maxBytes: number): Promise<FunctionConfig> {
  const { readConfigText } = await import('../../adapters/krm.js');
  const read = readInputFile(resolve(io.cwd, file), { maxBytes, name: file });
  if (read.diagnostic) throw new InputError(`--config: ${formatDiagnostic(read.diagnostic)}`);
  const { config, diagnostics } = readConfigText(read.text, file);
  if (hasErrors(diagnostics)) throw new InputError(diagnostics.map((d) => `${d.file}: ${d.field && !d.message.startsWith(d.field) ? `${d.field}: ` : ''}${d.message} (${d.code})`).join('\n'));
  return { ...config, templates: config.templates.map((d) => resolve(io.cwd, d)) };
}

/**
 * Reads stdin chunk by chunk. The first document decides: a ResourceList, JSON
 * or an empty stream come back as whole text (their own paths need it);
 * anything else is fed to a ManifestStream as it arrives.
 */
async function streamStdin(
  io: Io,
  templates: readonly string[],
  mirrors: readonly string[],
  images: Record<string, string>,
  hardening: Partial<Hardening>,
  spill: Spill,
  maxBytes: number,
): Promise<{ text?: string; result?: { result: ReturnType<ManifestStream['end']>; diagnostics: Diagnostic[] } }> {
  const decoder = new BoundedDecoder('<stdin>', maxBytes);
  const checked = (r: string | Diagnostic): string => {
    if (typeof r !== 'string') throw new InputError(formatDiagnostic(r));
    return r;
  };
  let head = '';
  let whole = false;
  let stream: ManifestStream | undefined;
  let loaded: { diagnostics: Diagnostic[] } | undefined;
  const chunks = async function* (): AsyncGenerator<Buffer | string> {
    try {
      yield* io.stdin as AsyncIterable<Buffer | string>;
    } catch (e) {
      throw e instanceof InputError ? e : stdinError(e);
    }
  };
  for await (const chunk of chunks()) {
    const text = checked(decoder.decode(chunk));
    if (stream) {
      stream.push(text);
      spill.write(stream.drain());
      continue;
    }
    head += text;
    if (whole) continue;
    const first = /\S/.exec(head)?.[0];
    if (first === undefined) continue;
    // JSON or KRM: read it whole (decided once: scanning the growing text again for every chunk was quadratic)
    if (first === '{' || first === '[' || /^kind:[ \t]*["']?ResourceList\b/m.test(firstDocument(head))) {
      whole = true;
      continue;
    }
    if (lastMarker(head.slice(head.search(/\S/))) < 0 && head.length < 1 << 20) continue; // the first document is not complete yet
    const [{ ManifestStream: Stream }, catalogue] = await Promise.all([import('../../core/pipeline.js'), loadCatalogueFor(templates, mirrors)]);
    loaded = catalogue;
    stream = new Stream({ catalogue: catalogue.catalogue, images, hardening, file: '<stdin>' });
    stream.push(head);
    head = '';
  }
  const rest = checked(decoder.end());
  if (!stream) {
    const text = head + rest;
    const first = /\S/.exec(text)?.[0];
    if (first === undefined || first === '{' || first === '[' || /^kind:[ \t]*["']?ResourceList\b/m.test(firstDocument(text))) return { text };
    const [{ ManifestStream: Stream }, catalogue] = await Promise.all([import('../../core/pipeline.js'), loadCatalogueFor(templates, mirrors)]);
    loaded = catalogue;
    stream = new Stream({ catalogue: catalogue.catalogue, images, hardening, file: '<stdin>' });
    stream.push(text);
  } else stream.push(rest);
  return { result: { result: stream.end(), diagnostics: loaded?.diagnostics ?? [] } };
}

/**
 * The output of a streamed run, held until the run is known to have no error
 * (all or nothing), then written to the -o file (through a temporary file and
 * a rename) or to stdout. Up to HOLD characters stay in memory (a Helm chart's
 * output never touches the disk); beyond that they go to a temporary file
 * (created exclusively, removed on every error and signal: cli/safe-write.ts),
 * so that memory stays flat whatever the size of the stream.
 */
class Spill {
  private file: OutputFile | undefined;
  private tmp: { path: string; fd: number | undefined } | undefined;
  private held: string[] = [];
  private heldChars = 0;

  constructor(private readonly target: Target | undefined) {}

  write(pieces: readonly string[]): void {
    if (pieces.length === 0) return;
    if (!this.file && !this.tmp) {
      for (const p of pieces) this.heldChars += p.length;
      pushAll(this.held, pieces);
      if (this.heldChars <= HOLD) return;
      pieces = this.held;
      this.held = [];
      if (this.target) this.file = new OutputFile(this.target);
      else this.tmp = createTempFile(tmpdir(), 'distroless-init');
    }
    if (this.file) {
      for (const p of pieces) this.file.write(p);
      return;
    }
    try {
      for (const p of pieces) writeAll(this.tmp!.fd!, p);
    } catch (e) {
      this.discard();
      throw outputError(tmpdir(), `cannot write a temporary file in ${tmpdir()}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  commit(io: Io): void {
    if (this.target) {
      this.file ??= new OutputFile(this.target);
      for (const p of this.held) this.file.write(p);
      this.held = [];
      this.file.commit();
      this.file = undefined;
      return;
    }
    if (!this.tmp) {
      io.stdout.write(this.held.join(''));
      this.held = [];
      return;
    }
    const tmp = this.tmp;
    try {
      for (const p of this.held) writeAll(tmp.fd!, p);
      this.held = [];
      closeSync(tmp.fd!);
      tmp.fd = undefined;
      const fd = openSync(tmp.path, 'r');
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        const decoder = new StringDecoder('utf8');
        for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) io.stdout.write(decoder.write(buf.subarray(0, n)));
        io.stdout.write(decoder.end());
      } finally {
        closeSync(fd);
      }
    } finally {
      this.discard();
    }
  }

  discard(): void {
    this.held = [];
    this.file?.discard();
    this.file = undefined;
    if (this.tmp) discardTempFile(this.tmp);
    this.tmp = undefined;
  }
}

/** Characters of output a streamed run keeps in memory before it spills to a temporary file. */
const HOLD = 4 << 20;
