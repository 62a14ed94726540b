/** `templates list|show|validate` and `explain IMAGE`: the catalogue, seen from the command line. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { matchTemplate } from '../../catalogue/match.js';
import { loadCatalogue, parseTemplate, withMirrors } from '../../catalogue/load.js';
import { formatDiagnostic, hasErrors, pushAll, type Diagnostic } from '../../shared/diagnostics.js';
import { parseImageRef } from '../../shared/image-ref.js';
import { planContainer } from '../../core/plan.js';
import { UsageError } from '../../shared/errors.js';
import type { Io } from '../io.js';
import { collect, MIRROR_HELP, parseMirrors } from '../options.js';

export function templatesCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const templates = program.command('templates').description('list, show and validate image templates');
  const out = (s: string): void => void io.stdout.write(s);
  const report = (diagnostics: Diagnostic[]): boolean => {
    for (const d of diagnostics) io.stderr.write(`${formatDiagnostic(d)}\n`);
    return hasErrors(diagnostics);
  };

  templates
    .command('list')
    .description('name, images and variants of every template')
    .option('--templates <dir>', 'also load templates from DIR', collect, [])
    .action((opts: { templates: string[] }) => {
      const { catalogue, diagnostics } = loadCatalogue(opts.templates);
      if (report(diagnostics)) return setExit(1);
      for (const { template: t, builtin } of catalogue.templates) {
        const variants = (t.variants ?? []).map((v) => v.name).join(', ');
        const what = t.decline ? 'declined' : `variants: ${variants || '-'}`;
        out(`${t.name}\t${t.images.join(', ')}\t${what}${builtin ? '' : '\t(user)'}\n`);
      }
    });

  templates
    .command('show <name>')
    .description('print a template file')
    .option('--templates <dir>', 'also load templates from DIR', collect, [])
    .action((name: string, opts: { templates: string[] }) => {
      const { catalogue, diagnostics } = loadCatalogue(opts.templates);
      if (report(diagnostics)) return setExit(1);
      const t = catalogue.templates.find((x) => x.template.name === name);
      if (!t) throw new UsageError(`no template named "${name}" (see: distroless-init templates list)`);
      out(readFileSync(t.file, 'utf8'));
    });

  templates
    .command('validate <files...>')
    .description('check template files against the schema and the rules (file:line and the JSON path of each problem)')
    .action((files: string[]) => {
      const diagnostics: Diagnostic[] = [];
      for (const f of files) {
        const path = resolve(io.cwd, f);
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch (e) {
          diagnostics.push({ code: 'DI2001', severity: 'error', message: `cannot read ${f}: ${(e as Error).message}`, file: f });
          continue;
        }
        const r = parseTemplate(text, f);
        pushAll(diagnostics, r.diagnostics);
        if (r.template) out(`${f}: ok (${r.template.name})\n`);
      }
      if (report(diagnostics)) setExit(1);
    });

  program
    .command('explain <image>')
    .description('what would be done to a container running IMAGE, and why')
    .option('--templates <dir>', 'also load templates from DIR', collect, [])
    .option('--mirror <prefix>', MIRROR_HELP, collect, [])
    .action((image: string, opts: { templates: string[]; mirror: string[] }) => {
      const loaded = loadCatalogue(opts.templates);
      const { diagnostics } = loaded;
      const catalogue = withMirrors(loaded.catalogue, parseMirrors(opts.mirror));
      if (report(diagnostics)) return setExit(1);
      const ref = parseImageRef(image);
      if (!ref) throw new UsageError(`"${image}" is not an image reference`);
      const match = matchTemplate(catalogue, ref);
      if (!match) {
        out(`${image}: no template knows this image; containers running it are left unchanged.\n`);
        return;
      }
      out(`${image}: template "${match.template.name}" (${match.loaded.file})\n`);
      if (match.variants.length) out(`  variants: ${match.variants.join(', ')}\n`);
      if (Object.keys(match.vars).length) {
        out(`  variables: ${Object.entries(match.vars).map(([k, v]) => `${k}=${v}`).join(', ')}${match.defaulted ? ' (tag names no version: template default)' : ''}\n`);
      }
      const r = planContainer(
        { name: 'app', image, env: [], envFromSecrets: [], mounts: [], probes: [], hooks: [], requiresNonRoot: false },
        { catalogue },
      );
      if (r.kind === 'skip') {
        for (const d of r.diagnostics) out(`  ${d.code}: ${d.message}\n`);
        return;
      }
      const p = r.plan;
      const spec = match.spec!;
      const shown = (argv: string[]): string => argv.map((a) => (a.includes('\n') ? `<script of ${a.trimEnd().split('\n').length} lines: templates show ${match.template.name}>` : a)).join(' ');
      if (p.init) out(`  init container: ${p.init.image} runs ${shown([...p.init.command, ...p.init.args])} as ${p.init.runAsRoot ? 'root (drops to the data uid itself)' : `${p.uid}:${p.gid}`}\n`);
      else out('  init container: none (the image has nothing to initialise)\n');
      out(`  main container: ${p.main.image} runs ${[...p.main.command, ...p.main.args].join(' ')} as ${p.uid}:${p.gid}\n`);
      out(`  data: ${spec.dataEnv ? `${spec.dataEnv}=${spec.env?.[spec.dataEnv] ?? ''}, ` : ''}volume at ${spec.dataPath} shared by both\n`);
      if (p.scratch.length) out(`  writable paths (emptyDir / tmpfs): ${p.scratch.map((s) => s.path).join(', ')}\n`);
      if (spec.initOnlyEnv?.length) out(`  init-only env (removed from main, _FILE forms too): ${spec.initOnlyEnv.join(', ')}\n`);
      for (const pr of p.probes) out(`  ${pr.role} probe: ${JSON.stringify(pr.probe)}\n`);
      for (const d of p.diagnostics.filter((x) => x.code !== 'DI3012' && x.code !== 'DI3005')) out(`  ${d.code}: ${d.message}\n`);
    });
}
