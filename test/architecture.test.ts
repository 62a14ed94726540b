// The dependency rules of src/ (docs/architecture.md): every relative import of
// every source file is read, mapped to the part it belongs to, and checked
// against the arrows that must never exist and the arrows of the picture (an
// import between two parts follows one of them); the shared leaves import
// nothing of ours; and no import cycle exists between files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** The parts, by path inside src/ (first match wins). */
const PARTS: readonly (readonly [prefix: string, part: string])[] = [
  ['shared/', 'Shared'],
  ['cli/', 'Cli'],
  ['adapters/', 'Adapters'],
  ['core/', 'Core'],
  ['catalogue/', 'Catalogue'],
  ['recipe/', 'Recipe'],
  ['webhook/', 'Webhook'],
  ['index.ts', 'Api'],
];

/** Imports that must never exist, with the reason. */
const NEVER: readonly (readonly [from: string, to: string, why: string])[] = [
  ['Core', 'Cli', 'the engine knows no command line'],
  ['Core', 'Adapters', 'plans and appliers know no front door'],
  ['Catalogue', 'Core', 'templates are data plus their loader'],
  ['Catalogue', 'Adapters', 'templates know no format'],
  ['Catalogue', 'Cli', 'templates are data plus their loader'],
  ['Adapters', 'Cli', 'adapters are usable from the library'],
];

/**
 * The arrows of the picture: a part may import the parts listed here (and
 * itself), nothing else. Api -> Shared is the library re-exporting the shared
 * leaves (diagnostics, image references, VERSION).
 */
const ARROWS: Readonly<Record<string, readonly string[]>> = {
  Cli: ['Api', 'Adapters', 'Core', 'Catalogue', 'Recipe', 'Webhook', 'Shared'],
  // the admission webhook: a front door like the adapters (transformManifests; the config file reader of adapters/krm.ts)
  Webhook: ['Adapters', 'Core', 'Catalogue', 'Shared'],
  Api: ['Adapters', 'Core', 'Catalogue', 'Shared'],
  Adapters: ['Core', 'Catalogue', 'Shared'],
  Core: ['Catalogue', 'Shared'],
  Recipe: ['Catalogue', 'Shared'],
  Catalogue: ['Shared'],
  Shared: [],
};

export interface Import {
  from: string;
  to: string;
  /** `import type` / `export type`: erased at run time, still a dependency. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|[\s;])(import|export)(\s+type)?\s+(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** The relative imports of one file's text, resolved to paths inside src/ (a `.js` import of a `.ts` file names the `.ts`). */
export function relativeImports(file: string, text: string): Import[] {
  const out: Import[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4]!;
    let target = resolve(dirname(file), spec);
    const ts = target.replace(/\.js$/, '.ts');
    if (target.endsWith('.js') && existsSync(ts)) target = ts;
    out.push({ from: relative(SRC, file), to: relative(SRC, target), typeOnly: m[2] !== undefined });
  }
  return out;
}

export function partOf(path: string): string | undefined {
  return PARTS.find(([prefix]) => path === prefix || path.startsWith(prefix))?.[1];
}

/** Import rule violations: never-arrows, a shared leaf importing something of ours, an import out of src/. */
export function violations(imports: readonly Import[]): string[] {
  const out: string[] = [];
  for (const i of imports) {
    const from = partOf(i.from);
    const to = partOf(i.to);
    if (i.to.startsWith('..')) out.push(`${i.from} imports ${i.to}, outside src/`);
    if (from === 'Shared' && to !== 'Shared') out.push(`${i.from} imports ${i.to}: the shared leaves import nothing of ours`);
    const rule = NEVER.find(([f, t]) => f === from && t === to);
    if (rule) out.push(`${i.from} imports ${i.to}: ${rule[0]} must never import ${rule[1]} (${rule[2]})`);
    else if (from && to && from !== to && from !== 'Shared' && !ARROWS[from]?.includes(to)) {
      out.push(`${i.from} imports ${i.to}: ${from} -> ${to} is not an arrow of the picture (docs/architecture.md)`);
    }
  }
  return out;
}

/** Every import cycle between files, each as the list of files on it (found once, from its first file in sort order). */
export function cycles(imports: readonly Import[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const i of imports) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next));
        found.set([...cycle].sort().join(' '), cycle);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return [...found.values()];
}

const imports = sourceFiles(SRC).flatMap((f) => relativeImports(f, readFileSync(f, 'utf8')));

describe('the dependency rules of src/', () => {
  it('reads the imports (a sanity check of the reader)', () => {
    expect(imports.length).toBeGreaterThan(50);
    expect(imports).toContainEqual({ from: 'index.ts', to: 'core/pipeline.ts', typeOnly: false });
    expect(imports.some((i) => i.typeOnly)).toBe(true);
    expect(imports.some((i) => i.from === 'cli/main.ts' && i.to === 'cli/commands/compose.ts')).toBe(true); // import()
  });

  it('puts every source file in a part', () => {
    const files = sourceFiles(SRC).map((f) => relative(SRC, f));
    expect(files.filter((f) => partOf(f) === undefined)).toEqual([]);
  });

  it('has no import that the architecture forbids', () => {
    expect(violations(imports)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(cycles(imports).map((c) => [...c, c[0]].join(' -> '))).toEqual([]);
  });

  it.each([
    ['core/plan.ts', "import { run } from '../cli/main.js';", 'Core must never import Cli'],
    ['core/plan.ts', "import type { FunctionConfig } from '../adapters/krm.js';", 'Core must never import Adapters'],
    ['catalogue/load.ts', "import { planContainer } from '../core/plan.js';", 'Catalogue must never import Core'],
    ['catalogue/match.ts', "export { x } from '../adapters/compose.js';", 'Catalogue must never import Adapters'],
    ['adapters/helm.ts', "const io = await import('../cli/io.js');", 'Adapters must never import Cli'],
    ['shared/errors.ts', "import type { Catalogue } from '../catalogue/load.js';", 'the shared leaves import nothing of ours'],
    ['core/plan.ts', "import { runtimeRecipe } from '../recipe/dockerfile.js';", 'Core -> Recipe is not an arrow of the picture'],
    ['recipe/dockerfile.ts', "import { planContainer } from '../core/plan.js';", 'Recipe -> Core is not an arrow of the picture'],
  ])('catches a forbidden import: %s with %s', (file, line, message) => {
    const planted = relativeImports(join(SRC, file), line);
    expect(planted).toHaveLength(1);
    expect(violations(planted).join('\n')).toContain(message);
  });

  it('catches a cycle', () => {
    // core/plan.ts imports core/hardening.ts
    const planted = relativeImports(join(SRC, 'core/hardening.ts'), "import type { SplitPlan } from './plan.js';");
    expect(cycles([...imports, ...planted]).map((c) => [...c].sort())).toContainEqual(['core/hardening.ts', 'core/plan.ts']);
  });
});
