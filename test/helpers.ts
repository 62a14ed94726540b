/** Shared test helpers: run the real CLI in-process or as a spawned process. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../src/cli/main.js';

export { tmp } from './tmp-dirs.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The corpus of real manifests and Compose files written by other projects: a sibling
 * folder of the clone (`../shared/corpus`), present in CI, absent from a fresh clone.
 * The project's own fixtures (test/fixtures) cover every behaviour without it.
 */
export const CORPUS = join(ROOT, '..', 'shared', 'corpus');
export const HAS_CORPUS = existsSync(CORPUS);
/** The project's own corpus: small files in the same shapes, so that every behaviour is covered without ../shared. */
export const OWN_CORPUS = join(ROOT, 'test', 'fixtures', 'corpus');

/**
 * True when the corpus is absent, after printing why the tests that read it are
 * skipped: `describe.skipIf(withoutCorpus('...'))`.
 */
export function withoutCorpus(what: string): boolean {
  if (!HAS_CORPUS) console.warn(`skipped: ${what}: the corpus ${CORPUS} is absent (a sibling folder of the clone; CI has it and runs these tests)`);
  return !HAS_CORPUS;
}
export const BIN = join(ROOT, 'bin', 'distroless-init.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process (same code as the binary, no bundle). */
export async function cli(argv: string[], stdin = '', cwd = ROOT, env: Record<string, string | undefined> = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdin: async () => stdin,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
    env: { ...env },
  });
  return { code, stdout, stderr };
}

/** Runs the bundled binary as a real process (needs `npm run build`). */
export function spawnCli(argv: string[], stdin = '', cwd = ROOT, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...argv], { input: stdin, cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function fixture(...parts: string[]): string {
  return readFileSync(join(ROOT, 'test', 'fixtures', ...parts), 'utf8');
}

/** The codes of the diagnostics in JSON stderr output. */
export function codes(stderrJson: string): string[] {
  return (JSON.parse(stderrJson) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code);
}

/** Every .yaml / .yml file under `dir`, sorted. */
export function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}
