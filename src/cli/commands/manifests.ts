/**
 * The default command: the kubectl-style pipe filter and Helm 3 post-renderer.
 * stdin/files → transformManifests → stdout or `-o FILE`, all or nothing.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createTwoFilesPatch } from 'diff';
import { hasErrors, type Diagnostic } from '../../core/diagnostics.js';
import { transformManifests } from '../../core/pipeline.js';
import { reportDiagnostics, writeFileAtomic, type DiagnosticFormat, type Io } from '../io.js';
import { joinStreams, readInputs } from '../inputs.js';
import { collect, commonOptions, loadCatalogueOrThrow, parseHardening, parseImages, type CommonOptions } from '../options.js';

interface ManifestOptions extends CommonOptions {
  filename: string[];
  recursive?: boolean;
  output?: string;
  diff?: boolean;
  check?: boolean;
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
    .action(async (files: string[], opts: ManifestOptions) => {
      setExit(await runManifests(io, [...opts.filename, ...files], opts));
    });
}

export async function runManifests(io: Io, names: string[], opts: ManifestOptions): Promise<number> {
  const format = (opts.outputFormat ?? 'text') as DiagnosticFormat;
  const images = parseImages(opts.image);
  const hardening = parseHardening(opts.security);
  const { catalogue, diagnostics } = loadCatalogueOrThrow(opts.templates);
  const read = await readInputs(io, names, opts.recursive ?? false);
  diagnostics.push(...read.diagnostics);
  const outputs: string[] = [];
  const diffs: string[] = [];
  let changed = false;
  for (const input of read.inputs) {
    const r = transformManifests(input.text, {
      catalogue,
      images,
      hardening,
      file: input.name,
    });
    diagnostics.push(...r.diagnostics);
    changed ||= r.changed;
    outputs.push(r.output);
    if (opts.diff && r.changed) diffs.push(createTwoFilesPatch(input.name, input.name, input.text, r.output, 'original', 'distroless-init'));
  }
  reportDiagnostics(io, diagnostics, format, opts.verbose ?? false);
  if (hasErrors(diagnostics as Diagnostic[])) return 1;
  if (opts.check) return changed ? 1 : 0;
  if (opts.diff) {
    io.stdout.write(diffs.join(''));
    return 0;
  }
  const text = joinStreams(outputs);
  if (opts.output) {
    writeFileAtomic(resolve(io.cwd, opts.output), text);
  } else {
    io.stdout.write(text);
  }
  return 0;
}

