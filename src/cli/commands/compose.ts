/**
 * `distroless-init compose`: one Compose file (found like `docker compose`
 * finds it, or `-f FILE`, or `-f -` for stdin) → transformCompose → stdout or
 * `-o FILE`, all or nothing. `--validate` checks the result against the
 * compose-spec JSON schema (ajv and the schema are loaded only then).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatPatch } from 'diff';
import { boundedStructuredPatch } from '../bounded-diff.js';
import { transformCompose, validateCompose } from '../../adapters/compose.js';
import { diag, hasErrors, pushAll, type Diagnostic } from '../../shared/diagnostics.js';
import { UsageError } from '../../shared/errors.js';
import { readStdin, reportDiagnostics, type DiagnosticFormat, type Io } from '../io.js';
import { checkFormat, collect, commonOptions, loadCatalogueFor, parseFlags, parseMaxInputSize, type CommonOptions } from '../options.js';
import { checkTarget, writeOutputFile } from '../safe-write.js';
import { readInputFile } from '../../shared/read-input.js';

interface ComposeOptions extends CommonOptions {
  file: string[];
  output?: string;
  diff?: boolean;
  check?: boolean;
  validate?: boolean;
}

/** The names `docker compose` looks for, in its order of preference. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

export function composeCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const cmd = program
    .command('compose')
    .description(
      'rewrite a Compose file: each service the catalogue knows becomes <svc>-init (full image, one-off init) + <svc> (distroless). Without -f, finds compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml in the working directory or its parents, like docker compose',
    )
    .option('-f, --file <path>', 'the Compose file (- for stdin)', collect, [])
    .option('-o, --output <file>', 'write the result to FILE (atomically) instead of stdout');
  commonOptions(cmd)
    .option('--diff', 'print a unified diff instead of the result')
    .option('--check', 'exit 1 when something would change (for CI); prints nothing on stdout')
    .option('--validate', 'check the result against the compose-spec JSON schema (problems are DI1010 errors)')
    .action(async (opts: ComposeOptions) => {
      setExit(await runCompose(io, opts));
    });
}

export async function runCompose(io: Io, opts: ComposeOptions): Promise<number> {
  const format: DiagnosticFormat = checkFormat(opts.outputFormat);
  const { images, hardening, templates, mirrors } = parseFlags(opts);
  if (opts.file.length > 1) throw new UsageError('compose takes one -f FILE (merging several Compose files is not supported)');
  const maxBytes = parseMaxInputSize(opts.maxInputSize);
  // `-o -` is stdout; any other target is checked before the input is read (a FIFO or a device is refused)
  const target = opts.output !== undefined && opts.output !== '-' && !opts.check && !opts.diff ? checkTarget(resolve(io.cwd, opts.output)) : undefined;
  const { catalogue, diagnostics } = await loadCatalogueFor(templates, mirrors, maxBytes);

  const input = readComposeInput(io, opts.file[0]);
  let text: string;
  if ('stdin' in input) text = await readStdin(io, maxBytes);
  else {
    const read = readInputFile(input.path, { maxBytes, name: input.name });
    if (read.diagnostic) {
      diagnostics.push(read.diagnostic);
      reportDiagnostics(io, diagnostics, format, opts.verbose ?? false);
      return 1;
    }
    text = read.text;
  }
  const name = input.name;
  const r = transformCompose(text, { catalogue, images, hardening, file: name });
  pushAll(diagnostics, r.diagnostics);
  if (opts.validate && !hasErrors(r.diagnostics)) pushAll(diagnostics, await validateCompose(r.output, { file: name, original: text }));

  reportDiagnostics(io, diagnostics, format, opts.verbose ?? false);
  if (hasErrors(diagnostics as Diagnostic[])) return 1;
  if (opts.check) return r.changed ? 1 : 0;
  if (opts.diff) {
    if (r.changed) io.stdout.write(formatPatch(boundedStructuredPatch(name, name, text, r.output, 'original', 'distroless-init')));
    return 0;
  }
  if (target) writeOutputFile(target.path, r.output);
  else io.stdout.write(r.output);
  return 0;
}

/** Which file to read: `-f -` is stdin, `-f FILE` that file, nothing the first Compose file found from cwd upwards. */
function readComposeInput(io: Io, file: string | undefined): { stdin: true; name: string } | { path: string; name: string } {
  if (file === '-') return { stdin: true, name: '<stdin>' };
  if (file !== undefined) return { path: resolve(io.cwd, file), name: file };
  let dir = resolve(io.cwd);
  for (;;) {
    for (const n of COMPOSE_FILE_NAMES) {
      const p = join(dir, n);
      if (existsSync(p)) return { path: p, name: relative(io.cwd, p) || n };
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new UsageError(
    `no Compose file found: none of ${COMPOSE_FILE_NAMES.join(', ')} in ${io.cwd} or its parents; use -f FILE (or -f - for stdin)`,
  );
}
