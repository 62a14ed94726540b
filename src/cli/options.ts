/** Options shared by the commands that rewrite workloads, parsed into library options. */
import type { Command } from 'commander';
import type { Catalogue } from '../catalogue/load.js';
import type { Diagnostic } from '../shared/diagnostics.js';
import { DEFAULT_HARDENING, type Hardening } from '../core/hardening.js';
import { parseOptionFlags, type FunctionConfig } from '../core/options.js';
import { UsageError } from '../shared/errors.js';
import { normalizeMirror } from '../catalogue/match.js';
import { DEFAULT_MAX_INPUT_BYTES, parseSize } from '../shared/read-input.js';

export interface CommonOptions {
  templates: string[];
  image: string[];
  security: string[];
  mirror: string[];
  outputFormat?: string;
  verbose?: boolean;
  maxInputSize?: string;
}

export const MIRROR_HELP = 'a registry prefix that serves Docker Hub images: PREFIX/postgres:16 is matched as postgres:16 (repeatable)';

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function commonOptions(cmd: Command): Command {
  return cmd
    .option('--templates <dir>', 'also load templates from DIR (repeatable; same name overrides a built-in)', collect, [])
    .option('--image <name=ref>', 'main image for a container or template name (repeatable)', collect, [])
    .option('--security <key=value>', `override a security default of the main container (repeatable): ${Object.keys(DEFAULT_HARDENING).join(', ')}`, collect, [])
    .option('--mirror <prefix>', MIRROR_HELP, collect, [])
    .option('--output-format <format>', 'diagnostics on stderr as text or json', 'text')
    .option('-v, --verbose', 'also print info diagnostics')
    .option('--max-input-size <size>', 'refuse an input (stdin, a file, a template) larger than SIZE: bytes, or with a K, M or G suffix (default 256M)');
}

/** `--max-input-size` in bytes (default 256 MiB). */
export function parseMaxInputSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_INPUT_BYTES;
  const n = parseSize(value);
  if (n === undefined) throw new UsageError(`--max-input-size expects a size (bytes, or with a K, M or G suffix), got "${value}"`);
  return n;
}

/**
 * The option flags of a command, read by the one option parser
 * (src/core/options.ts, which also reads function configs); a problem is a
 * usage error (exit 2).
 */
export function parseFlags(opts: Partial<Pick<CommonOptions, 'image' | 'templates' | 'security' | 'mirror'>>): FunctionConfig {
  const { options, diagnostics } = parseOptionFlags({
    images: opts.image ?? [],
    templates: opts.templates ?? [],
    security: opts.security ?? [],
    mirrors: opts.mirror ?? [],
  });
  if (diagnostics.length) throw new UsageError(diagnostics.map((d) => d.message).join('\n'));
  return options;
}

/**
 * Loads the catalogue (imported on demand: the YAML parser is only loaded when a
 * command needs it). Built-in templates only: validated at build time, loaded
 * on first use. With user directories: loaded now, and their problems are
 * diagnostics (error severity: the run fails).
 */
export async function loadCatalogueFor(
  dirs: readonly string[],
  mirrors: readonly string[] = [],
  maxBytes?: number,
): Promise<{ catalogue: Catalogue; diagnostics: Diagnostic[] }> {
  const { lazyCatalogue, loadCatalogue, withMirrors } = await import('../catalogue/load.js');
  if (dirs.length === 0) return { catalogue: withMirrors(lazyCatalogue(() => loadCatalogue().catalogue), mirrors), diagnostics: [] };
  const loaded = loadCatalogue(dirs, maxBytes === undefined ? {} : { maxBytes });
  return { catalogue: withMirrors(loaded.catalogue, mirrors), diagnostics: loaded.diagnostics };
}

/** `--mirror` values (the commands that take no other option flag). */
export function parseMirrors(values: readonly string[]): string[] {
  return parseFlags({ mirror: [...values] }).mirrors;
}

export function checkFormat(format: string | undefined): 'text' | 'json' {
  if (format === undefined || format === 'text' || format === 'json') return format ?? 'text';
  throw new UsageError(`--output-format must be text or json, got "${format}"`);
}
