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
import { diag, hasErrors, pushAll, type Diagnostic, type ResourceRef } from '../shared/diagnostics.js';
import { normalizeMirror } from '../catalogue/match.js';
import { aliasProblem, nestingProblem } from '../shared/limits.js';
import { parseYaml } from '../shared/yaml-parse.js';
import { transformManifests } from '../core/pipeline.js';
import { fastParseDocument } from '../core/fast-yaml.js';
import { asItem, cutListItems, LIST_ITEMS, WHOLE_DOCUMENT_CODES } from '../core/list-items.js';
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
  const doc = parseYaml(text, { prettyErrors: false });
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
  const deep = nestingProblem(text);
  if (deep) {
    const diagnostics = [diag('DI1011', `ResourceList: ${deep}`)];
    return { output: emptyList('config.kubernetes.io/v1', diagnostics), diagnostics, failed: true, changed: false };
  }
  return (LIST_ITEMS.enabled ? itemByItem(text, options) : undefined) ?? wholeList(text, options);
}

/**
 * The items cut out of the text (src/core/list-items.ts) and transformed one
 * by one, without parsing the whole list: memory is one item's tree. The
 * head and tail (apiVersion, kind, functionConfig) are parsed on their own.
 * Undefined when the text is not in that simple shape, or when an item is not
 * read on its own as the whole list would read it: the caller parses it whole.
 */
function itemByItem(text: string, options: ResourceListOptions): ResourceListResult | undefined {
  const cut = cutListItems(text);
  if (!cut) return undefined;
  const doc = parseDocument(cut.head + cut.tail, { prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length || doc.warnings.length || !isMap(doc.contents) || aliasProblem(doc)) return undefined;
  const root = doc.contents;
  const itemsNode = root.get('items', true);
  if (!isScalar(itemsNode) || itemsNode.value !== null) return undefined;
  const diagnostics: Diagnostic[] = [];
  const { apiVersion, settings } = listSettings(doc, root, options, diagnostics);
  const pieces: ItemText[] = cut.items.map((item) => ({
    original: item.text,
    standalone: item.standalone(),
    wrap: (s) => asItem(s.replace(/^---[ \t]*\r?\n/, ''), item.dashColumn, item.indent),
  }));
  // each item is parsed (as the whole list was: a YAML error in an item that cannot change, say a ConfigMap, is reported as before), and read for its meta
  let parsed: { i: number; doc: Document } | undefined;
  const parse = (i: number): Document => {
    if (parsed?.i !== i) {
      const standalone = pieces[i]!.standalone;
      const options = { prettyErrors: false, uniqueKeys: false } as const;
      parsed = { i, doc: fastParseDocument(standalone, options) ?? parseDocument(standalone, options) };
    }
    return parsed.doc;
  };
  const r = transformItems(pieces, (i) => itemMeta(parse(i).contents), settings, diagnostics, (i) => parse(i).errors.length === 0);
  return r && listResult(apiVersion, pieces, r.out, r.changed, diagnostics);
}

/** The whole list parsed as one document (any shape: flow style, JSON, aliases). */
function wholeList(text: string, options: ResourceListOptions): ResourceListResult {
  const diagnostics: Diagnostic[] = [];
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
  const { settings } = listSettings(doc, root, options, diagnostics);
  const seq = isSeq(itemsNode) ? itemsNode : undefined;
  const pieces = seq ? itemTexts(text, seq) : [];
  const r = transformItems(pieces, (i) => itemMeta(seq!.items[i]), settings, diagnostics)!;
  return listResult(apiVersion, pieces, r.out, r.changed, diagnostics);
}

interface ListSettings {
  catalogue: Catalogue;
  images: Record<string, string>;
  hardening: Partial<Hardening>;
}

/** The list's apiVersion and the options: command line defaults, then the function config. */
function listSettings(doc: Document, root: YAMLMap, options: ResourceListOptions, diagnostics: Diagnostic[]): { apiVersion: string; settings: ListSettings } {
  const declared: unknown = root.get('apiVersion');
  const apiVersion = typeof declared === 'string' && /^config\.kubernetes\.io\/v1/.test(declared) ? declared : 'config.kubernetes.io/v1';
  const fc = readFunctionConfig(toJS(doc, root.get('functionConfig', true)), 'functionConfig');
  pushAll(diagnostics, fc.diagnostics);
  const cwd = options.cwd ?? process.cwd();
  let catalogue = fc.config.templates.length ? undefined : options.catalogue;
  if (!catalogue) {
    const dirs = [...(options.templates ?? []), ...fc.config.templates].map((d) => (isAbsolute(d) ? d : resolve(cwd, d)));
    const loaded = loadCatalogue(dirs);
    pushAll(diagnostics, loaded.diagnostics);
    catalogue = withMirrors(loaded.catalogue, options.mirrors ?? []);
  }
  catalogue = withMirrors(catalogue, fc.config.mirrors);
  return { apiVersion, settings: { catalogue, images: { ...options.images, ...fc.config.images }, hardening: { ...options.hardening, ...fc.config.hardening } } };
}

/**
 * Transforms each item as a manifest; its diagnostics carry the item's file,
 * index and resource. With `readsAlone` (items cut from the text), undefined
 * as soon as an item does not read alone, or gives a diagnostic that the whole
 * list, parsed as one document, may give otherwise (a YAML error, nesting).
 */
function transformItems(
  pieces: readonly ItemText[],
  metaOf: (i: number) => ReturnType<typeof itemMeta>,
  settings: ListSettings,
  diagnostics: Diagnostic[],
  readsAlone?: (i: number) => boolean,
): { out: string[]; changed: boolean } | undefined {
  const out: string[] = [];
  let changed = false;
  if (hasErrors(diagnostics)) return { out, changed };
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (readsAlone && !readsAlone(i)) return undefined;
    // the item's file (its path annotation) is set on its diagnostics below: only read when there are some
    const r = transformManifests(piece.standalone, { catalogue: settings.catalogue, images: settings.images, hardening: settings.hardening });
    if (readsAlone && r.diagnostics.some((d) => WHOLE_DOCUMENT_CODES.has(d.code))) return undefined;
    const meta = r.diagnostics.length ? metaOf(i) : undefined;
    for (const { line: _l, column: _c, ...d } of r.diagnostics) {
      // lines and columns would point into the item's re-indented copy: file and index say where it is
      diagnostics.push({
        ...d,
        resource: d.resource ?? meta!.ref,
        ...(meta!.path !== undefined ? { file: meta!.path } : {}),
        document: meta!.index ?? i,
      });
    }
    changed ||= r.changed;
    out.push(r.changed ? piece.wrap(r.output) : piece.original);
  }
  return { out, changed };
}

function listResult(apiVersion: string, pieces: readonly ItemText[], out: readonly string[], changed: boolean, diagnostics: Diagnostic[]): ResourceListResult {
  const failed = hasErrors(diagnostics);
  const items = failed || out.length < pieces.length ? pieces.map((p) => p.original) : out;
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
