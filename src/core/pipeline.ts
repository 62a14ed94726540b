/**
 * The manifests pipeline: bytes → documents → (parse only what may change) →
 * split workloads → render changed documents → bytes. Untouched documents are
 * copied as their exact original text.
 */
import { isMap, isScalar, isSeq, LineCounter, visit, type Document, type Node } from 'yaml';
import { parseYaml } from '../shared/yaml-parse.js';
import type { Catalogue } from '../catalogue/load.js';
import { splitWorkload } from './apply-kube.js';
import { diag, pushAll, type Diagnostic, type ResourceRef } from '../shared/diagnostics.js';
import type { Hardening } from './plan.js';
import { isJson, lastMarker, needsParsing, splitDocuments } from './stream.js';
import { fastParseDocument, sameTree } from './fast-yaml.js';
import { renderFast } from './fast-render.js';
import { parseLikeInput, snapshot, spliceRender, verifySplice } from './splice-render.js';
import { findTemplate, privateRegistryMatch } from '../catalogue/match.js';
import { parseImageRef } from '../shared/image-ref.js';
import { KEY_PREFIX } from '../shared/names.js';
import { pathToString, workloadKind } from './workloads.js';
import { podSpecShape } from './shape.js';
import { aliasProblem, nestingProblem } from '../shared/limits.js';
import { transformListItems, type ItemResult } from './list-items.js';

export interface TransformOptions {
  catalogue: Catalogue;
  /** Main image per container name or template name (`--image NAME=REF`). */
  images?: Readonly<Record<string, string>>;
  /** Overrides of the main container's security defaults. */
  hardening?: Partial<Hardening>;
  /** File name used in diagnostics. */
  file?: string;
}

export interface TransformResult {
  /** The rewritten text (the input, unchanged, for documents that did not change). */
  output: string;
  diagnostics: Diagnostic[];
  /** True when at least one document changed. */
  changed: boolean;
}

/** Rewrites a Kubernetes manifest stream (multi-document YAML, a List, or JSON). Never throws on bad input. */
export function transformManifests(text: string, options: TransformOptions): TransformResult {
  const { pieces, diagnostics, changed } = transformManifestPieces(text, options);
  return { output: pieces.length === 1 ? pieces[0]! : pieces.join(''), diagnostics, changed };
}

/**
 * Like transformManifests, but the output is a list of pieces (one per
 * document; untouched ones are slices of the input), so that a large stream is
 * written without building one more copy of it.
 */
export function transformManifestPieces(
  text: string,
  options: TransformOptions,
): { pieces: string[]; diagnostics: Diagnostic[]; changed: boolean } {
  const diagnostics: Diagnostic[] = [];
  const file = options.file;
  const binary = binaryProblem(text);
  if (binary) {
    diagnostics.push(diag('DI1005', binary, file ? { file } : {}));
    return { pieces: [text], diagnostics, changed: false };
  }
  if (isJson(text)) {
    const r = transformJson(text, options);
    return { pieces: [r.output], diagnostics: r.diagnostics, changed: r.changed };
  }

  const state: StreamState = { out: [], diagnostics, changed: false, index: 0 };
  transformWindow(text, 0, state, options);
  return { pieces: state.changed ? state.out : [text], diagnostics, changed: state.changed };
}

interface StreamState {
  out: string[];
  diagnostics: Diagnostic[];
  changed: boolean;
  /** Index of the next document in the stream. */
  index: number;
}

/** Transforms complete documents (a window of the stream starting at `lineOffset`), appending to `state`. */
function transformWindow(text: string, lineOffset: number, state: StreamState, options: TransformOptions): void {
  const { out, diagnostics } = state;
  const file = options.file;
  for (const piece of splitDocuments(text)) {
    const index = state.index++;
    piece.line += lineOffset;
    if (isComposeText(piece.text)) {
      diagnostics.push(
        diag('DI3022', 'this document is a Compose file (top-level services:, no apiVersion or kind), not a Kubernetes manifest: convert it with `distroless-init compose -f FILE`', {
          ...(file ? { file } : {}),
          line: piece.line + 1,
          column: 1,
          document: index,
        }),
      );
      out.push(piece.text);
      continue;
    }
    if (!needsParsing(piece.text)) {
      out.push(piece.text);
      continue;
    }
    const unknown = unknownImagesOnly(piece.text, options.catalogue);
    if (unknown) {
      // no image of this workload is in the catalogue: say so, and copy it without parsing
      pushAll(diagnostics, unknownImageDiagnostics(unknown, index, piece.line, file));
      out.push(piece.text);
      continue;
    }
    // a List is transformed item by item when its text allows (src/core/list-items.ts): memory is one item's, not the List's
    // (every item is parsed, as in the whole document: a YAML error anywhere in the List is reported as before)
    const r = transformListItems(piece.text, piece.line, (item, line) => transformItem(item, index, line, options)) ?? transformItem(piece.text, index, piece.line, options);
    pushAll(diagnostics, r.diagnostics);
    if (r.output !== undefined) {
      state.changed = true;
      out.push(r.output);
    } else out.push(piece.text);
  }
}

/**
 * One document, or one item of a List as a document, parsed and transformed
 * (an item is always parsed, whatever its kind and images, as the whole List
 * was: its diagnostics are the ones the whole List gives). `output` is its new
 * text when it changed.
 */
function transformItem(text: string, index: number, line: number, options: TransformOptions): ItemResult {
  const r = transformDocument(text, index, line, options);
  return r.doc ? { output: render(r.doc, text), diagnostics: r.diagnostics } : { diagnostics: r.diagnostics };
}

function unknownImageDiagnostics(unknown: NonNullable<ReturnType<typeof unknownImagesOnly>>, index: number, line: number, file: string | undefined): Diagnostic[] {
  return unknown.images.map((u) =>
    diag('DI3001', `no template for image "${u.image}"; container ${u.container ? `"${u.container}" ` : ''}left unchanged`, {
      ...(file ? { file } : {}),
      line: line + u.line + 1,
      column: u.column + 1,
      document: index,
      ...(unknown.resource ? { resource: unknown.resource } : {}),
    }),
  );
}

/**
 * The same transformation, fed chunk by chunk (stdin as it arrives): complete
 * documents are transformed as soon as the next `---` line is seen, so the
 * whole input is never held twice. JSON input (one value) is buffered whole.
 * The result equals transformManifestPieces on the concatenated text.
 */
export class ManifestStream {
  /** The text after the last window, as the chunks it came in (joined only when a window is cut: linear). */
  private parts: string[] = [];
  private partsLength = 0;
  /** The last characters seen: a marker line may start in one chunk and end in the next. */
  private tail = '';
  private line = 0;
  private json: boolean | undefined;
  private readonly state: StreamState = { out: [], diagnostics: [], changed: false, index: 0 };
  private binary: string | undefined;
  private sinceCollect = 0;

  constructor(private readonly options: TransformOptions) {}

  push(chunk: string): void {
    if (chunk === '') return;
    this.binary ??= binaryProblem(chunk);
    const before = this.partsLength;
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    if (this.json === undefined) {
      const first = /\S/.exec(chunk); // the chunks before were all white space
      if (!first) return;
      this.json = first[0] === '{' || first[0] === '[';
    }
    if (this.json || this.binary) return;
    // only the new text (and the few characters before it) can hold a new marker line
    const probe = this.tail + chunk;
    this.tail = probe.slice(-5);
    const found = lastMarker(probe);
    const cut = found < 0 ? -1 : before - (probe.length - chunk.length) + found;
    if (cut <= 0) return;
    const pending = this.pending;
    const window = pending.slice(0, cut);
    this.parts = [pending.slice(cut)];
    this.partsLength = this.parts[0]!.length;
    transformWindow(window, this.line, this.state, this.options);
    this.line += countLines(window);
    this.sinceCollect += window.length;
    if (this.sinceCollect > COLLECT_EVERY) {
      // each window leaves parse trees behind: collect them now so that memory stays flat
      // (only where the runtime exposes gc, as the CLI's `node --expose-gc` does)
      this.sinceCollect = 0;
      (globalThis as { gc?: () => void }).gc?.();
    }
  }

  /** Takes the output pieces of the documents transformed so far (a caller that spills them to a file keeps memory flat). */
  drain(): string[] {
    const out = this.state.out;
    this.state.out = [];
    return out;
  }

  /** The text not transformed yet (one string). */
  private get pending(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }

  end(): { pieces: string[]; diagnostics: Diagnostic[]; changed: boolean } {
    // binary and JSON input were buffered whole in `pending`
    if (this.binary || this.json) return transformManifestPieces(this.pending, this.options);
    const pending = this.pending;
    if (pending !== '' || this.state.index === 0) transformWindow(pending, this.line, this.state, this.options);
    this.parts = [];
    this.partsLength = 0;
    // untouched documents are their input text, so the pieces are the input when nothing changed
    const { out, diagnostics, changed } = this.state;
    return { pieces: out, diagnostics, changed };
  }
}

/** Characters of input between two collections of garbage (see ManifestStream.push). */
const COLLECT_EVERY = 2 << 20;

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}


export interface DocumentResult {
  /** The edited document, when it changed. */
  doc?: Document;
  diagnostics: Diagnostic[];
}

const PARSE_OPTIONS = { prettyErrors: false, uniqueKeys: true, keepSourceTokens: false } as const;

/**
 * DISTROLESS_INIT_SELF_CHECK=1 (the test suite sets it) checks every fast path
 * against `yaml`: each document the fast reader parsed is parsed by yaml too
 * and the trees compared; each document rendered fast is rendered by yaml too.
 * A difference throws.
 */
const SELF_CHECK = process.env.DISTROLESS_INIT_SELF_CHECK === '1';

function transformDocument(text: string, index: number, lineOffset: number, options: TransformOptions): DocumentResult {
  const diagnostics: Diagnostic[] = [];
  const base = { ...(options.file ? { file: options.file } : {}), document: index };
  const deep = nestingProblem(text);
  if (deep) return { diagnostics: [diag('DI1011', deep, { ...base, line: lineOffset + 1 })] };
  const lineCounter = new LineCounter();
  const fast = fastParseDocument(text, PARSE_OPTIONS, lineCounter);
  if (fast && SELF_CHECK) {
    const reference = parseYaml(text, PARSE_OPTIONS);
    const difference = reference.errors.length || reference.warnings.length ? 'yaml reports an error' : sameTree(fast, reference);
    if (difference) throw new Error(`self-check: the fast reader and yaml disagree at ${difference}`);
  }
  // merge keys (`<<: *base`) are read as kubectl reads them (the fast reader never accepts an alias, so it never sees one)
  const doc = fast ?? parseYaml(text, { lineCounter, ...PARSE_OPTIONS, merge: true });
  const at = (pos: number): { line: number; column: number } => {
    const p = lineCounter.linePos(pos);
    return { line: p.line + lineOffset, column: p.col };
  };
  for (const e of doc.errors) {
    diagnostics.push(diag('DI1001', firstLine(e.message), { ...base, ...at(e.pos[0]) }));
  }
  if (doc.errors.length) return { diagnostics };
  for (const w of doc.warnings) diagnostics.push(diag('DI1007', firstLine(w.message), { ...base, ...at(w.pos[0]) }));
  if (doc.contents === null) return { diagnostics };
  const bomb = text.includes('*') ? aliasProblem(doc) : undefined;
  if (bomb) {
    diagnostics.push(diag('DI1004', bomb, { ...base, ...at(doc.contents.range?.[0] ?? 0) }));
    return { diagnostics };
  }
  if (!isMap(doc.contents)) {
    diagnostics.push(diag('DI1003', 'a Kubernetes document must be a mapping with apiVersion and kind', { ...base, ...at(doc.contents.range?.[0] ?? 0) }));
    return { diagnostics };
  }
  const anchors = text.includes('&') ? anchoredNodes(doc) : undefined;
  return splitDocument(doc, { index, lineCounter, lineOffset, ...(anchors ? { anchors } : {}) }, options, diagnostics);
}

/** Where a parsed document came from: its index in the stream and, for a text, its lines and anchors. */
export interface DocumentSource {
  index: number;
  lineCounter?: LineCounter;
  /** Line offset of the document in the stream (0-based). */
  lineOffset?: number;
  /** Copies of the anchored nodes, taken before any edit (anchoredNodes). */
  anchors?: Map<string, Node>;
}

/**
 * The split walk over one parsed document whose root is a map: every
 * workload in it (List items included) is split in place. One walk for every
 * front door: transformDocument (above) runs it on the parsed text, the
 * webhook (transform-object.ts) on nodes built from the pod it was sent.
 * Diagnostics are appended to `diagnostics`; the document is returned when it changed.
 */
export function splitDocument(doc: Document, source: DocumentSource, options: TransformOptions, diagnostics: Diagnostic[] = []): DocumentResult {
  const { index, lineCounter, anchors } = source;
  const lineOffset = source.lineOffset ?? 0;
  const base = { ...(options.file ? { file: options.file } : {}), document: index };
  const at = (pos: number): { line?: number; column?: number } => {
    if (!lineCounter) return {};
    const p = lineCounter.linePos(pos);
    return { line: p.line + lineOffset, column: p.col };
  };
  try {
    let changed = false;
    const walk = (node: unknown, path: (string | number)[]): void => {
      if (!isMap(node)) return;
      const kind = node.get('kind');
      const apiVersion = node.get('apiVersion');
      const items = node.get('items', true);
      if (typeof kind === 'string' && kind.endsWith('List') && isSeq(items)) {
        items.items.forEach((item, i) => walk(item, [...path, 'items', i]));
        return;
      }
      const wk = workloadKind(apiVersion, kind);
      if (!wk) return;
      const shape = podSpecShape(doc, node.getIn(wk.podSpec, true), pathToString(wk.podSpec));
      if (shape.length) {
        const resource = resourceRef(node);
        for (const s of shape) {
          diagnostics.push(diag('DI1006', s.message, { ...base, ...(s.offset !== undefined ? at(s.offset) : {}), resource, field: s.field }));
        }
        return;
      }
      const r = splitWorkload({
        doc,
        base: path,
        kind: wk,
        resource: resourceRef(node),
        ...(options.file ? { file: options.file } : {}),
        lineCounter,
        lineOffset,
        options: {
          catalogue: options.catalogue,
          ...(options.images ? { images: options.images } : {}),
          ...(options.hardening ? { hardening: options.hardening } : {}),
        },
      });
      for (const dg of r.diagnostics) diagnostics.push({ ...dg, document: index });
      changed ||= r.changed;
    };
    walk(doc.contents, []);
    if (changed && anchors) restoreAliases(doc, anchors);
    return changed ? { doc, diagnostics } : { diagnostics };
  } catch (e) {
    diagnostics.push(diag('DI9001', `internal error on this document: ${(e as Error).stack ?? String(e)}`, base));
    return { diagnostics };
  }
}

const IMAGE_LINE = /(^|[{,\s])(["']?)image\2[ \t]*:[ \t]*(["']?)([^\s"',}\]#]*)\3/g;

/**
 * Reads the `image:` values of a workload document without parsing it. Returns
 * them when every one is a plain reference that no template claims (the
 * document cannot change); undefined when the document must be parsed: an
 * image a template knows, a value the scan cannot read (an alias, a block
 * scalar), no image at all, or a distroless-init annotation.
 */
function unknownImagesOnly(
  text: string,
  catalogue: Catalogue,
): { images: { image: string; line: number; column: number; container?: string }[]; resource?: ResourceRef } | undefined {
  if (text.includes(KEY_PREFIX)) return undefined;
  const images: { image: string; line: number; column: number; container?: string }[] = [];
  let lines: string[] | undefined;
  // lines counted from the previous match on (linear in the text, not in text × images)
  let counted = 0;
  let line = 0;
  for (const m of text.matchAll(IMAGE_LINE)) {
    const image = m[4] ?? '';
    const ref = parseImageRef(image);
    // a catalogue image from a private registry is planned (warning DI3040/DI3041), not passed over
    if (!ref || findTemplate(catalogue, ref) || privateRegistryMatch(catalogue, ref)) return undefined;
    const at = (m.index ?? 0) + (m[1]?.length ?? 0);
    for (let i = text.indexOf('\n', counted); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) {
      line++;
      counted = i + 1;
    }
    const column = at - (text.lastIndexOf('\n', at - 1) + 1);
    const container = containerName((lines ??= text.split('\n')), line, column);
    images.push({ image, line, column, ...(container ? { container } : {}) });
  }
  if (images.length === 0) return undefined;
  const kind = /^kind:[ \t]*["']?([\w.-]+)/m.exec(text)?.[1];
  const name = /^metadata:[ \t]*\r?\n(?:[ \t]+.*\r?\n)*?[ \t]+name:[ \t]*["']?([^\s"'#]+)/m.exec(text)?.[1];
  return { images, ...(kind ? { resource: { kind, ...(name ? { name } : {}) } } : {}) };
}

/**
 * The `name:` of the block-style sequence item whose `image:` key is at
 * (line, column): on the item's `- ` line or a line indented like the image
 * key, before the item ends. Undefined when the layout is anything else.
 */
function containerName(lines: readonly string[], line: number, column: number): string | undefined {
  const NAME = /^name:[ \t]*(["']?)([^\s"'#]+)\1[ \t]*(?:#.*)?\r?$/;
  const nameIn = (s: string): string | undefined => NAME.exec(s)?.[2];
  const indent = ' '.repeat(column);
  // the item's first line: `- ` at column - 2 (this line, or one above)
  let start = line;
  for (; start >= 0; start--) {
    const l = lines[start] ?? '';
    if (l.length > column - 2 && l.slice(0, column - 2).trim() === '' && l.slice(column - 2, column) === '- ') break;
    if (start !== line && !l.startsWith(indent) && l.trim() !== '' && !l.trimStart().startsWith('#')) return undefined;
  }
  if (start < 0) return undefined;
  for (let i = start; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (i > start && l.trim() !== '' && !l.trimStart().startsWith('#') && !l.startsWith(indent)) break; // the item ended
    if (l.length > column && l.slice(0, column).trim().replace(/^-$/, '') === '' && (i === start || l.startsWith(indent))) {
      const name = nameIn(l.slice(column));
      if (name) return name;
    }
  }
  return undefined;
}

/** Copies of every anchored node, taken before any edit. */
function anchoredNodes(doc: Document): Map<string, Node> {
  const out = new Map<string, Node>();
  visit(doc, {
    Node(_, node) {
      if ('anchor' in node && typeof node.anchor === 'string' && !out.has(node.anchor)) out.set(node.anchor, node.clone() as Node);
    },
  });
  return out;
}

/** An edit that removed or replaced an anchored node must not leave its aliases dangling: they get a copy of the original. */
function restoreAliases(doc: Document, anchors: Map<string, Node>): void {
  const present = new Set<string>();
  visit(doc, {
    Node(_, node) {
      if ('anchor' in node && typeof node.anchor === 'string') present.add(node.anchor);
    },
  });
  visit(doc, {
    Alias(_, alias) {
      if (present.has(alias.source)) return undefined;
      const original = anchors.get(alias.source);
      if (!original) return undefined;
      const copy = original.clone() as Node & { anchor?: string };
      present.add(alias.source);
      return copy; // keeps the anchor: later aliases resolve to it
    },
  });
}

function resourceRef(node: { get(k: string): unknown }): ResourceRef {
  const meta = node.get('metadata') as { get?(k: string): unknown } | undefined;
  const ref: ResourceRef = {};
  const apiVersion = node.get('apiVersion');
  const kind = node.get('kind');
  if (typeof apiVersion === 'string') ref.apiVersion = apiVersion;
  if (typeof kind === 'string') ref.kind = kind;
  const name = meta?.get?.('name');
  const ns = meta?.get?.('namespace');
  if (typeof name === 'string') ref.name = name;
  if (typeof ns === 'string') ref.namespace = ns;
  return ref;
}

/**
 * Prints a changed document like its source: what the split did not change is
 * the source text as written (src/core/splice-render.ts), the rest is printed
 * at its column in the source's indentation. A document that cannot be spliced
 * is printed whole: no line folding, the input's sequence indentation and
 * trailing blank lines.
 */
export function render(doc: Document, source: string): string {
  const expected = snapshot(doc, source);
  preserveScalars(doc, source);
  const indentSeq = indentsSequences(source);
  let spliced: string | undefined;
  try {
    spliced = spliceRender(doc, parseLikeInput(source), source, indentSeq);
  } catch (e) {
    if (SELF_CHECK) throw e;
  }
  if (spliced !== undefined) {
    // the safety net: the spliced text reads back as the edited tree, or the whole document is printed
    if (verifySplice(spliced, expected)) return spliced;
    if (SELF_CHECK) throw new Error(`self-check: the spliced text does not read back as the edited document:\n${spliced}`);
  }
  const fast = renderFast(doc, indentSeq);
  let s = fast ?? doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq });
  if (fast !== undefined && SELF_CHECK && fast !== doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq })) {
    throw new Error(`self-check: the fast renderer and yaml disagree on:\n${fast}`);
  }
  const trailing = /\n*$/.exec(source)?.[0].length ?? 0;
  if (trailing === 0) s = s.replace(/\n$/, '');
  else if (trailing > 1) s += '\n'.repeat(trailing - 1);
  return s;
}

/**
 * Writes every plain number, boolean and null back exactly as the source had it.
 * YAML 1.2 (how `yaml` reads) and YAML 1.1 (how kubectl, Go and PyYAML read)
 * disagree on `0444`, `012`, `08`, `1_000`, `yes`...: re-rendering the parsed
 * value would change what Kubernetes sees (`defaultMode: 0444` would become 444).
 * Plain scalars we create get their natural text; strings we create that need
 * quotes were quoted when they were made (newNode). The document is then
 * printed with the failsafe schema, which never re-quotes a plain string.
 */
export function preserveScalars(doc: Document, source: string): void {
  // a direct walk (yaml's visit is slow in a cold process); aliases keep their target's text
  const walk = (node: unknown): void => {
    if (isScalar(node)) {
      if (typeof node.value === 'string' || node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return;
      node.value = node.range ? source.slice(node.range[0], node.range[1]) : node.value === null ? '' : String(node.value);
      node.type = 'PLAIN';
    } else if (isMap(node)) {
      for (const p of node.items) {
        walk(p.key);
        walk(p.value);
      }
    } else if (isSeq(node)) for (const it of node.items) walk(it);
  };
  walk(doc.contents);
  doc.setSchema('1.2', { schema: 'failsafe' });
}

/** Whether block sequences under a key are indented (`key:\n  - a`) in this text; kubectl and Helm output differ. */
export function indentsSequences(text: string): boolean {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*\r?\n(?:[ \t]*(?:#[^\n]*)?\r?\n)*( *)- /m.exec(text);
  if (!m) return true;
  return (m[2]?.length ?? 0) > (m[1]?.length ?? 0);
}

function transformJson(text: string, options: TransformOptions): TransformResult {
  const r = transformDocument(text, 0, 0, options);
  if (!r.doc) return { output: text, diagnostics: r.diagnostics, changed: false };
  const indent = /^\{\s*\n([ \t]+)/.exec(text)?.[1] ?? '    ';
  const output = JSON.stringify(r.doc.toJS({ maxAliasCount: -1 }), null, indent) + (text.endsWith('\n') ? '\n' : '');
  return { output, diagnostics: r.diagnostics, changed: true };
}

/** A Compose file: a top-level `services:` map and no Kubernetes `apiVersion`/`kind`. */
function isComposeText(text: string): boolean {
  return /^services:[ \t]*(#.*)?\r?$/m.test(text) && !/^(apiVersion|kind):/m.test(text);
}

/**
 * Why a text is not YAML/JSON text (a NUL byte), or undefined. Invalid UTF-8
 * is found where the bytes are decoded (core/read-input.ts): a U+FFFD in a
 * string is a valid character.
 */
export function binaryProblem(text: string): string | undefined {
  const nul = text.indexOf('\0');
  if (nul >= 0) return `input contains a NUL byte at offset ${nul}: it is not YAML text`;
  return undefined;
}

export function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
