/** `image IMAGE`: print the Dockerfile of the shell-free runtime image built from a full image. */
import type { Command } from 'commander';
import { loadCatalogue, withMirrors } from '../../catalogue/load.js';
import { formatDiagnostic, hasErrors } from '../../shared/diagnostics.js';
import { runtimeRecipe } from '../../recipe/dockerfile.js';
import type { Io } from '../io.js';
import { collect, MIRROR_HELP, parseMirrors } from '../options.js';

export function imageCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('image <image>')
    .description(
      'print a multi-stage Dockerfile that builds the shell-free runtime image from the full IMAGE ' +
        '(e.g. distroless-init image postgres:16 | docker build -t postgres:16-distroless -)',
    )
    .option('--templates <dir>', 'also load templates from DIR (repeatable; same name overrides a built-in)', collect, [])
    .option('--mirror <prefix>', MIRROR_HELP, collect, [])
    .action((image: string, opts: { templates: string[]; mirror: string[] }) => {
      const loaded = loadCatalogue(opts.templates);
      const { diagnostics } = loaded;
      const catalogue = withMirrors(loaded.catalogue, parseMirrors(opts.mirror));
      const r = hasErrors(diagnostics) ? { diagnostics: [] } : runtimeRecipe(image, catalogue);
      for (const d of [...diagnostics, ...r.diagnostics]) io.stderr.write(`${formatDiagnostic({ file: '<image>', ...d })}\n`);
      if (hasErrors(diagnostics) || hasErrors(r.diagnostics) || !('dockerfile' in r) || !r.dockerfile) return setExit(1);
      io.stdout.write(r.dockerfile);
    });
}
