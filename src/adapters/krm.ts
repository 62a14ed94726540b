/**
 * The KRM front door: a ResourceList (config.kubernetes.io/v1) in, a ResourceList
 * out, as kpt (`kpt fn eval --exec`) and kustomize (`--enable-exec`) run exec
 * functions; and the options file of the kustomize legacy exec plugin.
 *
 * Options come from the function config (read by src/core/options.ts, the one
 * option parser): `apiVersion: distroless-init.io/v1alpha1`, `kind:
 * DistrolessInit` with `spec: {images, templates, security, mirrors}`, or a
 * ConfigMap whose `data` holds the same keys as strings (`images: "db=REF,…"`).
 * Diagnostics become `results`. Every item keeps its annotations and its
 * place; an item that did not change is copied as its original text (re-rendering
 * moves comments, and kpt then duplicates them). Library code: never prints.
 */
import { isAbsolute, resolve } from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument, type CST, type YAMLMap, type YAMLSeq } from 'yaml';
import { loadCatalogue, withMirrors, type Catalogue } from '../catalogue/load.js';
import { diag, hasErrors, type Diagnostic, type ResourceRef } from '../shared/diagnostics.js';
import { normalizeMirror } from '../catalogue/match.js';
import { aliasProblem, nestingProblem } from '../shared/limits.js';
import { transformManifests } from '../core/pipeline.js';
import type { Hardening } from '../core/hardening.js';
import { emptyOptions, readFunctionConfig, type FunctionConfig } from '../core/options.js';

export interface ResourceListOptions {
  /** A ready catalogue (used unless the config names template directories: then the built-ins, `templates` and the config's are loaded). */
  catalogue?: Catalogue;
  /** Template directories given on the command line (added before the config's). */
  templates?: readonly string[];
  /** Mirror prefixes given on the command line (already applied to `catalogue`; added before the config's). */
  mirrors?: readonly string[];
  /** Defaults that the function config overrides key by key. */
  images?: Readonly<Record<string, string>>;
  hardening?: Partial<Hardening>;
  /** Directory that relative template paths are resolved against. Default: `process.cwd()`. */
  cwd?: string;
}

export interface ResourceListResult {
  /** The ResourceList to print on stdout. */
  output: string;
  diagnostics: Diagnostic[];
  /** True when an error result exists: the function must exit 1. */
  failed: boolean;
  /** True when at least one item changed. */
  changed: boolean;
}

const RL_API = /^apiVersion:[ \t]*(["']?)config\.kubernetes\.io\/v1(?:alpha1|beta1)?\1[ \t]*(?:#.*)?\r?$/m;
const RL_KIND = /^kind:[ \t]*(["']?)ResourceList\1[ \t]*(?:#.*)?\r?$/m;

/** True when `text` is a KRM ResourceList (YAML or JSON), the input of an exec function. */
export function isResourceList(text: string): boolean {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark does not make it another kind of input
  if (/^\s*\{/.test(text)) {
    if (!text.includes('ResourceList')) return false;
    try {
      const v = JSON.parse(text) as { kind?: unknown; apiVersion?: unknown };
      return v.kind === 'ResourceList' && typeof v.apiVersion === 'string' && v.apiVersion.startsWith('config.kubernetes.io/');
    } catch {
      return false;
    }
  }
  return RL_KIND.test(text) && RL_API.test(text);
}

/** Reads a config file's text (the kustomize plugin's file, `--config FILE`): YAML, then readFunctionConfig. */
export function readConfigText(text: string, file: string): { config: FunctionConfig; diagnostics: Diagnostic[] } {
  const none = emptyOptions();
  const deep = nestingProblem(text);
  if (deep) return { config: none, diagnostics: [diag('DI1011', `config: ${deep}`, { file })] };
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) {
    return {
      config: emptyOptions(),
      diagnostics: doc.errors.map((e) => diag('DI1008', `config is not valid YAML: ${e.message.split('\n')[0]}`, { file })),
    };
  }
  const bomb = aliasProblem(doc);
  if (bomb) return { config: none, diagnostics: [diag('DI1004', `config: ${bomb}`, { file })] };
  return readFunctionConfig(doc.toJS(), file);
}

/** Rewrites the items of a ResourceList; diagnostics go into `results`. Never throws on bad input. */
export function transformResourceList(text: string, options: ResourceListOptions = {}): ResourceListResult {
  const diagnostics: Diagnostic[] = [];
  const deep = nestingProblem(text);
  if (deep) {
    diagnostics.push(diag('DI1011', `ResourceList: ${deep}`));
    return { output: emptyList('config.kubernetes.io/v1', diagnostics), diagnostics, failed: true, changed: false };
  }
  const doc = parseDocument(text, { keepSourceTokens: true, prettyErrors: false, uniqueKeys: false });
  const declared: unknown = isMap(doc.contents) ? doc.contents.get('apiVersion') : undefined;
  const apiVersion = typeof declared === 'string' && /^config\.kubernetes\.io\/v1/.test(declared) ? declared : 'config.kubernetes.io/v1';
  if (doc.errors.length || !isMap(doc.contents)) {
    for (const e of doc.errors) diagnostics.push(diag('DI1001', `ResourceList: ${e.message.split('\n')[0]}`));
    if (!doc.errors.length) diagnostics.push(diag('DI1003', 'the ResourceList is not a mapping'));
    return { output: emptyList(apiVersion, diagnostics), diagnostics, failed: true, changed: false };
  }
  const bomb = aliasProblem(doc);
  if (bomb) {
    diagnostics.push(diag('DI1004', `ResourceList: ${bomb}`));
    return { output: emptyList(apiVersion, diagnostics), diagnostics, failed: true, changed: false };
  }
  const root = doc.contents;
  const itemsNode = root.get('items', true);
  if (itemsNode !== undefined && itemsNode !== null && !isSeq(itemsNode) && !(isScalar(itemsNode) && itemsNode.value === null)) {
    diagnostics.push(diag('DI1003', 'ResourceList items must be a list'));
    return { output: emptyList(apiVersion, diagnostics), diagnostics, failed: true, changed: false };
  }

  // options: command line defaults, then the function config
  const fc = readFunctionConfig(toJS(doc, root.get('functionConfig', true)), 'functionConfig');
  diagnostics.push(...fc.diagnostics);
  const cwd = options.cwd ?? process.cwd();
  let catalogue = fc.config.templates.length ? undefined : options.catalogue;
  if (!catalogue) {
    const dirs = [...(options.templates ?? []), ...fc.config.templates].map((d) => (isAbsolute(d) ? d : resolve(cwd, d)));
    const loaded = loadCatalogue(dirs);
    diagnostics.push(...loaded.diagnostics);
    catalogue = withMirrors(loaded.catalogue, options.mirrors ?? []);
  }
  catalogue = withMirrors(catalogue, fc.config.mirrors);
  const images = { ...options.images, ...fc.config.images };
  const hardening = { ...options.hardening, ...fc.config.hardening };

  const seq = isSeq(itemsNode) ? itemsNode : undefined;
  const pieces = seq ? itemTexts(text, seq) : [];
  const out: string[] = [];
  let changed = false;
  if (!hasErrors(diagnostics)) {
    pieces.forEach((piece, i) => {
      const item = seq!.items[i];
      const meta = itemMeta(item);
      const r = transformManifests(piece.standalone, {
        catalogue: catalogue!,
        images,
        hardening,
        ...(meta.path ? { file: meta.path } : {}),
      });
      for (const { line: _l, column: _c, ...d } of r.diagnostics) {
        // lines and columns would point into the item's re-indented copy: file and index say where it is
        diagnostics.push({
          ...d,
          resource: d.resource ?? meta.ref,
          ...(meta.path !== undefined ? { file: meta.path } : {}),
          document: meta.index ?? i,
        });
      }
      changed ||= r.changed;
      out.push(r.changed ? piece.wrap(r.output) : piece.original);
    });
  }
  const failed = hasErrors(diagnostics);
  const items = failed ? pieces.map((p) => p.original) : out;
  let output = `apiVersion: ${apiVersion}\nkind: ResourceList\n`;
  output += items.length ? `items:\n${items.map((s) => (s.endsWith('\n') ? s : `${s}\n`)).join('')}` : 'items: []\n';
  if (diagnostics.length) output += resultsYaml(diagnostics);
  return { output, diagnostics, failed, changed: changed && !failed };
}

interface ItemText {
  /** The item's exact text in the ResourceList, its `- ` included. */
  original: string;
  /** The item as a standalone YAML document. */
  standalone: string;
  /** Turns a standalone document back into a list item at the same place and indentation. */
  wrap(standalone: string): string;
}

/** Cuts the items of a block sequence out of the source; flow items (JSON input) are printed from their nodes. */
function itemTexts(src: string, seq: YAMLSeq): ItemText[] {
  const token = seq.srcToken as CST.Token | undefined;
  if (!token || token.type !== 'block-seq') return seq.items.map((n) => nodeItem(n));
  const dashes = token.items.map((it) => it.start.find((t) => t.type === 'seq-item-ind')?.offset ?? -1);
  if (dashes.some((d) => d < 0)) return seq.items.map((n) => nodeItem(n));
  const lineStart = (pos: number): number => src.lastIndexOf('\n', pos - 1) + 1;
  const end = (() => {
    const e = seq.range?.[1] ?? src.length;
    const nl = src.indexOf('\n', Math.max(e - 1, 0));
    return nl < 0 ? src.length : nl + 1;
  })();
  return seq.items.map((node, i) => {
    const from = lineStart(dashes[i]!);
    const to = i + 1 < dashes.length ? lineStart(dashes[i + 1]!) : end;
    const original = src.slice(from, to);
    const dashCol = dashes[i]! - from;
    const contentStart = (node as { range?: [number, number, number] | null }).range?.[0];
    const indent = contentStart === undefined ? dashCol + 2 : contentStart - lineStart(contentStart);
    const standalone = dedent(original, dashCol, indent);
    if (standalone === undefined || indent <= dashCol) return nodeItem(node);
    return { original, standalone, wrap: (s) => indentAsItem(s, dashCol, indent) };
  });
}

function nodeItem(node: unknown): ItemText {
  const standalone = new Document(node).toString({ lineWidth: 0, flowCollectionPadding: false });
  const wrap = (s: string): string => indentAsItem(s, 0, 2);
  return { original: wrap(standalone), standalone, wrap };
}

/** Removes the `- ` and `indent` columns from every line; undefined when a content line is less indented. */
function dedent(text: string, dashCol: number, indent: number): string | undefined {
  const lines = text.split('\n');
  lines[0] = ' '.repeat(dashCol + 1) + lines[0]!.slice(dashCol + 1);
  const out: string[] = [];
  for (const line of lines) {
    const lead = /^ */.exec(line)![0].length;
    if (lead >= indent) out.push(line.slice(indent));
    else if (line.trim() === '') out.push('');
    else if (line.trimStart().startsWith('#')) out.push(line.trimStart());
    else return undefined;
  }
  return out.join('\n');
}

function indentAsItem(text: string, dashCol: number, indent: number): string {
  const pad = ' '.repeat(indent);
  const lines = text.replace(/^---[ \t]*\r?\n/, '').split('\n');
  const last = lines.length - 1;
  const out = lines.map((l, i) => (l === '' || (i === last && l === '') ? l : pad + l));
  out[0] = `${' '.repeat(dashCol)}-${out[0]!.slice(dashCol + 1)}`;
  return out.join('\n');
}

function itemMeta(item: unknown): { ref: ResourceRef; path?: string; index?: number } {
  const ref: ResourceRef = {};
  if (!isMap(item)) return { ref };
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  const apiVersion = str(item.get('apiVersion'));
  const kind = str(item.get('kind'));
  if (apiVersion) ref.apiVersion = apiVersion;
  if (kind) ref.kind = kind;
  const meta = item.get('metadata', true);
  if (!isMap(meta)) return { ref };
  const name = str(meta.get('name'));
  const namespace = str(meta.get('namespace'));
  if (name) ref.name = name;
  if (namespace) ref.namespace = namespace;
  const ann = meta.get('annotations', true) as YAMLMap | undefined;
  const get = (k: string): string | undefined => (isMap(ann) ? str(ann.get(k)) : undefined);
  const path = get('internal.config.kubernetes.io/path') ?? get('config.kubernetes.io/path');
  const index = get('internal.config.kubernetes.io/index') ?? get('config.kubernetes.io/index');
  const n = index !== undefined && /^\d+$/.test(index) ? Number(index) : undefined;
  return { ref, ...(path !== undefined ? { path } : {}), ...(n !== undefined ? { index: n } : {}) };
}

/** The `results` field: one entry per diagnostic (severity, message, resourceRef, field, file, tags.code). */
function resultsYaml(diagnostics: readonly Diagnostic[]): string {
  const results = diagnostics.map((d) => {
    const r: Record<string, unknown> = { message: d.message, severity: d.severity };
    if (d.resource && Object.keys(d.resource).length) r.resourceRef = { ...d.resource };
    if (d.field) r.field = { path: d.field };
    if (d.file !== undefined && d.file !== 'functionConfig') r.file = { path: d.file, ...(d.document !== undefined ? { index: d.document } : {}) };
    r.tags = { code: d.code };
    return r;
  });
  const doc = new Document({ results }, { version: '1.1' });
  return doc.toString({ lineWidth: 0, indentSeq: false });
}

function emptyList(apiVersion: string, diagnostics: readonly Diagnostic[]): string {
  return `apiVersion: ${apiVersion}\nkind: ResourceList\nitems: []\n${resultsYaml(diagnostics)}`;
}

function toJS(doc: Document, node: unknown): unknown {
  if (node === undefined || node === null) return undefined;
  if (isMap(node) || isSeq(node) || isScalar(node)) return node.toJS(doc, { maxAliasCount: -1 });
  return node;
}
