/**
 * Loads the template catalogue: the built-in `templates/` directory of the
 * package plus user directories (`--templates DIR`). Each file is parsed with
 * `yaml` (positions kept), checked by the precompiled JSON Schema validator,
 * then by named semantic rules. Problems are diagnostics with file, line and
 * the JSON path of the field; a broken template never takes the others down.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isSeq, LineCounter, type Document, type Node } from 'yaml';
import { diag, pushAll, type Diagnostic } from '../shared/diagnostics.js';
import type { Template, TemplateSpec } from './template.js';
import { aliasProblem, nestingProblem } from '../shared/limits.js';
import { readInputFile } from '../shared/read-input.js';
import { parseYaml } from '../shared/yaml-parse.js';
import { regexProblem } from './safe-regex.js';
import { mergeSpecs } from './merge.js';
import { validateSpec, validateTemplate } from './validate.gen.js';

export interface LoadedTemplate {
  template: Template;
  /** Where it came from, for diagnostics. */
  file: string;
  builtin: boolean;
}

/**
 * Set by the bundler: the built-in templates were validated at build time and
 * written to dist/templates.json (each with its file relative to the package root).
 */
declare const __DISTROLESS_INIT_EMBEDDED__: boolean | undefined;

/** A catalogue loaded on first use: a run whose input holds no workload never reads a template. */
export function lazyCatalogue(load: () => Catalogue): Catalogue {
  let catalogue: Catalogue | undefined;
  return {
    get templates() {
      return (catalogue ??= load()).templates;
    },
    get byImage() {
      return (catalogue ??= load()).byImage;
    },
  };
}

export interface Catalogue {
  templates: LoadedTemplate[];
  /** Repository path → template. */
  byImage: Map<string, LoadedTemplate>;
  /**
   * Registry prefixes that serve Docker Hub's images (`harbor.example.com/dockerhub`):
   * `PREFIX/postgres:16` matches like `postgres:16` (`--mirror`).
   */
  mirrors?: readonly string[];
}

/** The catalogue, with registry prefixes that serve Docker Hub's images (still loaded on first use). */
export function withMirrors(catalogue: Catalogue, mirrors: readonly string[]): Catalogue {
  if (mirrors.length === 0) return catalogue;
  const all = [...(catalogue.mirrors ?? []), ...mirrors];
  return {
    get templates() {
      return catalogue.templates;
    },
    get byImage() {
      return catalogue.byImage;
    },
    mirrors: all,
  };
}

interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The package root: the nearest directory above this module that has `templates/` and our package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(join(dir, 'templates')) && existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'distroless-init') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('distroless-init: cannot find the package root (templates/)');
    dir = up;
  }
}

export function builtinTemplateDir(): string {
  return join(packageRoot(), 'templates');
}

/** Loads the built-in templates (unless `builtin: false`) and every `*.yaml` / `*.yml` in `dirs`. */
export function loadCatalogue(
  dirs: readonly string[] = [],
  options: { builtin?: boolean; maxBytes?: number } = {},
): { catalogue: Catalogue; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const loaded: LoadedTemplate[] = [];
  const sources: { dir: string; builtin: boolean }[] = [];
  if (options.builtin !== false) {
    // the bundled CLI carries the built-in templates, validated at build time (scripts/build.mjs)
    if (typeof __DISTROLESS_INIT_EMBEDDED__ !== 'undefined' && __DISTROLESS_INIT_EMBEDDED__) {
      const root = packageRoot();
      const built = JSON.parse(readFileSync(join(root, 'dist', 'templates.json'), 'utf8')) as { template: Template; file: string }[];
      for (const t of built) loaded.push({ template: t.template, file: join(root, t.file), builtin: true });
    } else sources.push({ dir: builtinTemplateDir(), builtin: true });
  }
  for (const d of dirs) sources.push({ dir: resolve(d), builtin: false });

  for (const { dir, builtin } of sources) {
    let files: string[];
    let listed = false;
    try {
      listed = statSync(dir).isDirectory();
      files = listed ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(dir, f)) : [dir];
    } catch (e) {
      diagnostics.push(diag('DI2001', `template directory ${dir} cannot be read: ${(e as Error).message}`, { file: dir }));
      continue;
    }
    for (const file of files) {
      // regular files only in a listing (a FIFO would block), bounded, strict UTF-8
      const read = readInputFile(file, { listed, ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}) });
      if (read.diagnostic) {
        diagnostics.push(read.diagnostic.code === 'DI1002' ? diag('DI2001', `template ${read.diagnostic.message}`, { file }) : read.diagnostic);
        continue;
      }
      const text = read.text;
      const result = parseTemplate(text, file);
      pushAll(diagnostics, result.diagnostics);
      if (result.template) loaded.push({ template: result.template, file, builtin });
    }
  }
  return { catalogue: buildCatalogue(loaded, diagnostics), diagnostics };
}

/** User templates override built-in ones of the same name; two user templates may not claim one image. */
function buildCatalogue(loaded: LoadedTemplate[], diagnostics: Diagnostic[]): Catalogue {
  const byName = new Map<string, LoadedTemplate>();
  for (const t of loaded) {
    const prev = byName.get(t.template.name);
    if (prev && !prev.builtin && !t.builtin) {
      diagnostics.push(diag('DI2005', `template "${t.template.name}" is defined twice (${prev.file}, ${t.file})`, { file: t.file }));
    }
    byName.set(t.template.name, t);
  }
  const templates = [...byName.values()];
  const byImage = new Map<string, LoadedTemplate>();
  // built-in first, so that a user template claiming the same image wins
  for (const t of [...templates.filter((x) => x.builtin), ...templates.filter((x) => !x.builtin)]) {
    for (const image of t.template.images) {
      const prev = byImage.get(image);
      if (prev && prev.builtin === t.builtin) {
        diagnostics.push(
          diag('DI2005', `image "${image}" is claimed by templates "${prev.template.name}" and "${t.template.name}"`, { file: t.file }),
        );
      }
      byImage.set(image, t);
    }
  }
  return { templates, byImage };
}

/** Parses and validates one template file's text. */
export function parseTemplate(text: string, file: string): { template?: Template; diagnostics: Diagnostic[] } {
  const deep = nestingProblem(text, 64);
  if (deep) return { diagnostics: [diag('DI2002', deep, { file })] };
  const lineCounter = new LineCounter();
  const doc = parseYaml(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  for (const err of doc.errors) {
    const pos = lineCounter.linePos(err.pos[0]);
    diagnostics.push(diag('DI2002', err.message.split('\n')[0] ?? err.message, { file, line: pos.line, column: pos.col }));
  }
  if (diagnostics.length) return { diagnostics };
  const bomb = aliasProblem(doc, 100_000, 64);
  if (bomb) return { diagnostics: [diag('DI2002', bomb, { file })] };
  const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
  if (!validateTemplate(value)) {
    for (const e of (validateTemplate as unknown as { errors: AjvError[] }).errors) {
      diagnostics.push(schemaDiagnostic('DI2003', e, doc, lineCounter, file));
    }
    return { diagnostics };
  }
  const template = value as Template;
  for (const problem of checkRules(template)) {
    const where = locate(doc, lineCounter, problem.path);
    diagnostics.push(diag('DI2004', `${problem.path}: ${problem.message} [rule ${problem.rule}]`, { file, ...where, field: problem.path }));
  }
  return diagnostics.length ? { diagnostics } : { template, diagnostics };
}

function schemaDiagnostic(
  code: 'DI2003',
  e: AjvError,
  doc: Document,
  lc: LineCounter,
  file: string,
): Diagnostic {
  let path = e.instancePath || '/';
  let message = e.message ?? 'is invalid';
  if (e.params && typeof e.params.additionalProperty === 'string') {
    path = `${e.instancePath}/${e.params.additionalProperty}`;
    message = 'is not a known field';
  }
  return diag(code, `${path} ${message}`, { file, field: path, ...locate(doc, lc, path) });
}

/** Line and column of a JSON pointer in the document (the nearest existing ancestor). */
function locate(doc: Document, lc: LineCounter, pointer: string): { line?: number; column?: number } {
  const keys = pointer.split('/').filter(Boolean).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  let node: unknown = doc.contents;
  let best: Node | undefined = doc.contents ?? undefined;
  for (const k of keys) {
    if (isMap(node) || isSeq(node)) {
      node = (node as { get(k: unknown, keep: true): unknown }).get(k, true);
      if (node && typeof node === 'object' && 'range' in node) best = node as Node;
      else break;
    } else break;
  }
  if (!best?.range) return {};
  const pos = lc.linePos(best.range[0]);
  return { line: pos.line, column: pos.col };
}

interface RuleProblem {
  rule: string;
  path: string;
  message: string;
}

/** Named semantic rules that a JSON Schema cannot say. */
export function checkRules(t: Template): RuleProblem[] {
  const out: RuleProblem[] = [];
  const add = (rule: string, path: string, message: string): void => void out.push({ rule, path, message });
  if (!t.decline && !t.spec) add('spec-or-decline', '/spec', 'a template needs either spec or decline');
  controlCharacters(t, '', add);
  if (t.decline && (t.spec || t.variants)) add('decline-alone', '/decline', 'a declined template has no spec or variants');
  let groups: string[] = [];
  if (t.versions) {
    try {
      const re = new RegExp(`${t.versions.pattern}|`);
      groups = Object.keys(re.exec('')?.groups ?? {});
      const slow = regexProblem(t.versions.pattern);
      if (slow) add('linear-regex', '/versions/pattern', slow);
    } catch (e) {
      add('regex', '/versions/pattern', `is not a valid regular expression: ${(e as Error).message}`);
    }
    for (const k of Object.keys(t.versions.default)) {
      if (!groups.includes(k)) add('default-vars', `/versions/default/${k}`, `"${k}" is not a named group of versions.pattern`);
    }
  }
  (t.variants ?? []).forEach((v, i) => {
    for (const [k, re] of Object.entries(v.when ?? {})) {
      if (k !== 'tag' && !groups.includes(k)) add('when-vars', `/variants/${i}/when/${k}`, `"${k}" is neither "tag" nor a named group of versions.pattern`);
      try {
        new RegExp(re);
        const slow = regexProblem(re);
        if (slow) add('linear-regex', `/variants/${i}/when/${k}`, slow);
      } catch (e) {
        add('regex', `/variants/${i}/when/${k}`, `is not a valid regular expression: ${(e as Error).message}`);
      }
    }
  });
  const variants = t.variants ?? [];
  if (variants.length > MAX_VARIANTS) add('variants-max', '/variants', `has ${variants.length} variants; at most ${MAX_VARIANTS} are allowed`);
  // every combination of variants must give a complete spec (the first 256 combinations)
  if (t.spec) {
    const combos = 2 ** Math.min(variants.length, 8);
    for (let mask = 0; mask < combos; mask++) {
      const spec = mergeSpecs(t.spec, variants.filter((_, i) => mask & (1 << i)).map((v) => v.spec));
      if (!validateSpec(spec)) {
        const e = (validateSpec as unknown as { errors: AjvError[] }).errors[0];
        add('merged-spec', `/spec${e?.instancePath ?? ''}`, `${e?.message ?? 'is invalid'} once variants are merged`);
        break;
      }
      const placeholders = JSON.stringify(spec).match(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g) ?? [];
      for (const p of placeholders) {
        const name = p.slice(1, -1);
        if (!['tag', 'path', ...groups].includes(name)) {
          add('placeholders', '/spec', `placeholder ${p} is not a variable (tag, path, or a named group of versions.pattern)`);
          return out;
        }
      }
      if (spec.uid === 0) {
        add('uid', '/spec/uid', 'the server must not run as uid 0 (the main container runs as this uid)');
        return out;
      }
      const safety = specSafety(spec);
      if (safety) {
        add(safety.rule, safety.path, safety.message);
        return out;
      }
    }
    // each variant alone too (past the 256 combinations above)
    variants.forEach((v, i) => {
      const spec = mergeSpecs(t.spec!, [v.spec]);
      if (spec.uid === 0) add('uid', `/variants/${i}/spec/uid`, 'the server must not run as uid 0');
      const safety = specSafety(spec);
      if (safety) add(safety.rule, `/variants/${i}${safety.path}`, safety.message);
    });
  }
  return out;
}

/** Most variants a template may have (their combinations are checked; `1 << 31` once went negative). */
export const MAX_VARIANTS = 16;

/**
 * Fields where a newline or a tab is fine: free text that never reaches a
 * Dockerfile, and the init container's argv elements (a script given to
 * `bash -c` in the full image: one argument, never split into lines).
 */
const FREE_TEXT = /^\/(?:description|decline\/(?:reason|needs)|(?:spec|variants\/\d+\/spec)\/(?:warnings\/\d+|decline\/(?:reason|needs)|runtime\/notes|init\/(?:command|args)\/\d+))$/;

/**
 * Control characters (newlines, terminal escapes) in any key or string that
 * can reach a Dockerfile (`distroless-init image`), a command or a terminal:
 * a newline in a path or an env value would add an instruction to the
 * Dockerfile.
 */
function controlCharacters(value: unknown, path: string, add: (rule: string, path: string, message: string) => void): void {
  // iterative: a template's depth was bounded when it was parsed
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length) {
    const [v, p] = stack.pop()!;
    if (typeof v === 'string') {
      // eslint-disable-next-line no-control-regex
      const bad = FREE_TEXT.test(p) ? /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/ : /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
      if (bad.test(v)) add('no-control-characters', p || '/', 'holds a control character (a newline, a tab, a terminal escape): not allowed here');
    } else if (Array.isArray(v)) v.forEach((x, i) => stack.push([x, `${p}/${i}`]));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u001f\u007f-\u009f]/.test(k)) add('no-control-characters', `${p}/${JSON.stringify(k).slice(1, -1)}`, 'key holds a control character');
        stack.push([x, `${p}/${k}`]);
      }
    }
  }
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh', 'busybox', 'csh', 'tcsh', 'fish']);
const SYSTEM_MOUNTS = ['/', '/proc', '/dev', '/sys'];
const SYSTEM_TREES = ['/proc/', '/sys/'];
const WHOLE_TREES = new Set(['/', '/bin', '/sbin', '/usr', '/usr/bin', '/usr/sbin', '/usr/local', '/usr/local/bin', '/lib', '/usr/lib', '/etc']);

/** Rules on a merged spec: no shell as the main command or in the runtime image, no system path as a mount. */
function specSafety(spec: TemplateSpec): { rule: string; path: string; message: string } | undefined {
  const cmd = spec.main?.command ?? [];
  const first = cmd[0];
  if (first !== undefined && SHELLS.has(first.split('/').pop() ?? '')) {
    return { rule: 'no-shell-main', path: '/spec/main/command/0', message: `the main command starts a shell (${first}): the main container has none` };
  }
  const norm = (p: string): string => {
    const n = posix.normalize(p);
    return n.length > 1 ? n.replace(/\/+$/, '') : n;
  };
  const mounts: [string, string][] = [
    ['/spec/dataPath', spec.dataPath],
    ...(spec.main?.writablePaths ?? []).map((p, i) => [`/spec/main/writablePaths/${i}`, p] as [string, string]),
    ...(spec.shared ?? []).map((p, i) => [`/spec/shared/${i}`, p] as [string, string]),
  ];
  for (const [where, p] of mounts) {
    if (typeof p !== 'string') continue;
    const n = norm(p);
    if (p.split('/').includes('..')) return { rule: 'mount-path', path: where, message: `"${p}" has a ".." segment` };
    if (SYSTEM_MOUNTS.includes(n) || SYSTEM_TREES.some((t) => n.startsWith(t))) {
      return { rule: 'mount-path', path: where, message: `"${p}" cannot be a volume mount path (the root or a kernel file system)` };
    }
  }
  const rt = spec.runtime;
  if (rt) {
    const copied: [string, string][] = [
      ...rt.binaries.map((p, i) => [`/spec/runtime/binaries/${i}`, p] as [string, string]),
      ...(rt.modules ?? []).map((p, i) => [`/spec/runtime/modules/${i}`, p] as [string, string]),
      ...(rt.files ?? []).map((p, i) => [`/spec/runtime/files/${i}`, p] as [string, string]),
      ...(rt.directories ?? []).map((d, i) => [`/spec/runtime/directories/${i}/path`, d.path] as [string, string]),
    ];
    for (const [where, p] of copied) {
      if (typeof p !== 'string') continue;
      const n = norm(p);
      if (SHELLS.has(n.split('/').pop() ?? '') || WHOLE_TREES.has(n) || p.split('/').includes('..')) {
        return { rule: 'no-shell-runtime', path: where, message: `"${p}" would put a shell (or a whole system directory) into the shell-free image` };
      }
    }
  }
  return undefined;
}
