/** Helpers for the front-door tests: real tools, the built bin, temp copies of the examples. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BIN, ROOT, tmp } from '../helpers.js';

export const EXAMPLES = join(ROOT, 'examples');

/** Fails with a clear message when a tool the test needs is missing (kpt and kubectl ship with the machine image). */
export function tool(name: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) throw new Error(`${name} is not on PATH: these tests run the real ${name} (see docs/integrations.md)`);
  return path;
}

/** The bundled bin must exist: `npm run build` (the test command builds first). */
export function builtBin(): string {
  if (!existsSync(join(ROOT, 'dist', 'cli.cjs'))) throw new Error('dist/cli.cjs is missing: run `npm run build` before these tests');
  return BIN;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, ...opts.env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** A temporary copy of an example folder. */
export function copyExample(name: string): string {
  const dir = join(tmp('di-frontdoor-'), name);
  cpSync(join(EXAMPLES, name), dir, { recursive: true });
  return dir;
}

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export function docs(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

interface Container {
  name: string;
  image: string;
  command?: string[];
}

/** The pod spec's init containers and containers of a workload object. */
export function pod(o: Obj): { initContainers: Container[]; containers: Container[] } {
  const spec = (o.kind === 'Pod' ? o.spec : ((o.spec?.template as { spec?: Record<string, unknown> } | undefined)?.spec ?? {})) as {
    initContainers?: Container[];
    containers?: Container[];
  };
  return { initContainers: spec?.initContainers ?? [], containers: spec?.containers ?? [] };
}
