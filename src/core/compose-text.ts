/**
 * A Compose file's text in, its rewrite out: the whole file at once
 * (transformComposeWhole: parse, split every service, print), or, for a file
 * over COMPOSE_WINDOW_MIN, a window of services at a time.
 *
 * Why windows: the whole file's YAML nodes take ~25 bytes per byte of input,
 * and the rewrite is ~5 times the input (each split service gains an init
 * service), so a 20 MB file needed GBs. A window is the file with only some
 * of its services: the text before `services:` and after it unchanged, and
 * the services' own lines cut out whole. Each window is rewritten by the
 * whole-file path, and the windows' services are put back together.
 *
 * The result is the one the whole-file path gives, because a window only ever
 * holds services that nothing outside it refers to: a first pass reads every
 * service (in windows) and joins the services that refer to each other
 * (depends_on, links, volumes_from, extends, network_mode / ipc / pid
 * `service:`) or share an anchor, and windows are cut only between such
 * groups. The names each window takes (`db-init`, `db-data`) are reserved
 * for the next. Anything else falls back to the whole-file path: a document
 * marker, a tab, a `services:` key with anything on its line, an alias
 * outside the services to an anchor inside them, a window whose text outside
 * the services changed other than by new volumes, a parse error, a window
 * with an error (the whole-file path reports it with the file's own lines).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Document } from 'yaml';
import { parseYaml } from '../shared/yaml-parse.js';
import { splitComposeServices } from './apply-compose.js';
import { diag, hasErrors, pushAll, type Diagnostic } from '../shared/diagnostics.js';
import { aliasProblem, nestingProblem } from '../shared/limits.js';
import { binaryProblem, firstLine, render, type TransformOptions, type TransformResult } from './pipeline.js';
import { toValue } from './yaml-merge.js';
import { entryStarts, firstContentLine } from './yaml-lines.js';

/** Files larger than this are rewritten in windows where they can be. */
export const COMPOSE_WINDOW_MIN = 1 << 20;
/** About how much of the services' text one window holds (at least 4 times the text around the services). */
const WINDOW_BYTES = 256 * 1024;

/** Rewrites a Compose file. Never throws on bad input: problems are diagnostics. */
export function transformComposeText(text: string, options: TransformOptions): TransformResult {
  if (text.length > COMPOSE_WINDOW_MIN) {
    const r = transformComposeInWindows(text, options);
    if (r) return r;
  }
  return transformComposeWhole(text, options);
}

/** The whole file at once: parse, split every service, print. `reserved`: names taken elsewhere (other windows). */
export function transformComposeWhole(text: string, options: TransformOptions, reserved?: Set<string>, spaceAfterLast?: boolean): TransformResult {
  const diagnostics: Diagnostic[] = [];
  const base = options.file ? { file: options.file } : {};
  const binary = binaryProblem(text);
  if (binary) return { output: text, diagnostics: [diag('DI1005', binary, base)], changed: false };
  const deep = nestingProblem(text);
  if (deep) return { output: text, diagnostics: [diag('DI1011', deep, base)], changed: false };

  const lineCounter = new LineCounter();
  const doc = parseYaml(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true, keepSourceTokens: false });
  const at = (pos: number): { line: number; column: number } => {
    const p = lineCounter.linePos(pos);
    return { line: p.line, column: p.col };
  };
  for (const e of doc.errors) diagnostics.push(diag('DI1001', firstLine(e.message), { ...base, ...at(e.pos[0]) }));
  if (doc.errors.length) return { output: text, diagnostics, changed: false };
  for (const w of doc.warnings) diagnostics.push(diag('DI1007', firstLine(w.message), { ...base, ...at(w.pos[0]) }));
  const bomb = text.includes('*') ? aliasProblem(doc) : undefined;
  if (bomb) {
    diagnostics.push(diag('DI1004', bomb, base));
    return { output: text, diagnostics, changed: false };
  }
  if (!isMap(doc.contents)) {
    diagnostics.push(diag('DI1003', 'a Compose file must be a mapping with a services key', { ...base, ...at(doc.contents?.range?.[0] ?? 0) }));
    return { output: text, diagnostics, changed: false };
  }
  const services = doc.contents.get('services', true);
  if (!isMap(services)) {
    const what = services === undefined ? 'has no services key' : 'has a services key that is not a mapping';
    diagnostics.push(diag('DI1009', `this file ${what}: it is not a Compose file`, { ...base, ...at(doc.contents.range?.[0] ?? 0) }));
    return { output: text, diagnostics, changed: false };
  }
  try {
    const r = splitComposeServices({
      doc,
      lineCounter,
      ...(options.file ? { file: options.file } : {}),
      ...(reserved ? { reservedNames: reserved } : {}),
      ...(spaceAfterLast ? { spaceAfterLast } : {}),
      options: {
        catalogue: options.catalogue,
        ...(options.images ? { images: options.images } : {}),
        ...(options.hardening ? { hardening: options.hardening } : {}),
      },
    });
    pushAll(diagnostics, r.diagnostics);
    if (!r.changed) return { output: text, diagnostics, changed: false };
    return { output: render(doc, text), diagnostics, changed: true };
  } catch (e) {
    diagnostics.push(diag('DI9001', `internal error on this file: ${(e as Error).stack ?? String(e)}`, base));
    return { output: text, diagnostics, changed: false };
  }
}

const SERVICES = /^services:[ \t]*(?:#.*)?\r?\n?$/;
const VOLUMES = /^volumes:[ \t]*(?:#.*)?\r?\n?$/;

/** A top-level entry of the file: its text (with the comments after it) and what kind of key its line holds. */
interface Entry {
  text: string;
  kind: 'services' | 'volumes' | 'other';
  /** Its key line. */
  head: string;
}

/** The file's top-level entries, or undefined when its text cannot be cut so. */
function topEntries(text: string): Entry[] | undefined {
  const first = firstContentLine(text, 0, text.length);
  if (!first || first.indent !== 0) return undefined;
  const starts = entryStarts(text, 0, text.length, 0, true);
  if (!starts) return undefined;
  const out: Entry[] = [];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] as number;
    const end = i + 1 < starts.length ? (starts[i + 1] as number) : text.length;
    const key = firstContentLine(text, start, end) as { start: number };
    const nl = text.indexOf('\n', key.start);
    const head = text.slice(key.start, nl < 0 || nl >= end ? end : nl + 1);
    out.push({ text: text.slice(start, end), head, kind: SERVICES.test(head) ? 'services' : VOLUMES.test(head) ? 'volumes' : 'other' });
  }
  if (out.filter((e) => e.kind === 'services').length !== 1 || out.filter((e) => e.kind === 'volumes').length > 1) return undefined;
  return out;
}

/** The services entry cut into its key line and its services: where each service's text starts, and their column. */
interface Layout {
  entries: Entry[];
  /** Offsets in the file: the services' text is [bodyStart, bodyEnd). */
  bodyStart: number;
  bodyEnd: number;
  /** Where each service starts, then bodyEnd. */
  starts: number[];
  col: number;
}

function layoutOf(text: string): Layout | undefined {
  const entries = topEntries(text);
  if (!entries) return undefined;
  let offset = 0;
  for (const e of entries) {
    if (e.kind === 'services') {
      const headAt = offset + e.text.indexOf(e.head);
      const bodyStart = headAt + e.head.length;
      const bodyEnd = offset + e.text.length;
      const inner = firstContentLine(text, bodyStart, bodyEnd);
      if (!inner || inner.indent === 0 || text[inner.start + inner.indent] === '-') return undefined;
      const starts = entryStarts(text, bodyStart, bodyEnd, inner.indent, true);
      if (!starts || starts.length < 2) return undefined;
      starts.push(bodyEnd);
      return { entries, bodyStart, bodyEnd, starts, col: inner.indent };
    }
    offset += e.text.length;
  }
  return undefined;
}

/** The names of other services a service refers to (and so must be split beside). */
function serviceRefs(svc: unknown): string[] {
  if (!svc || typeof svc !== 'object' || Array.isArray(svc)) return [];
  const s = svc as Record<string, unknown>;
  const out: string[] = [];
  const deps = s.depends_on;
  if (Array.isArray(deps)) for (const d of deps) out.push(String(d));
  else if (deps && typeof deps === 'object') out.push(...Object.keys(deps));
  if (Array.isArray(s.links)) for (const l of s.links) out.push(String(l).split(':')[0] ?? '');
  for (const k of ['network_mode', 'ipc', 'pid']) {
    const v = s[k];
    if (typeof v === 'string' && v.startsWith('service:')) out.push(v.slice(8));
  }
  if (Array.isArray(s.volumes_from)) {
    for (const v of s.volumes_from) {
      const t = String(v);
      if (!t.startsWith('container:')) out.push((t.startsWith('service:') ? t.slice(8) : t).split(':')[0] ?? '');
    }
  }
  const ext = s.extends;
  if (typeof ext === 'string') out.push(ext);
  else if (ext && typeof ext === 'object' && typeof (ext as { service?: unknown }).service === 'string') out.push((ext as { service: string }).service);
  return out;
}

/** The anchors a node defines and the aliases it uses, by name. */
function anchorNames(node: unknown, defined: Set<string>, used: Set<string>): void {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (isAlias(n)) {
      used.add(n.source);
      continue;
    }
    const anchor = (n as { anchor?: unknown } | null)?.anchor;
    if (typeof anchor === 'string') defined.add(anchor);
    if (isMap(n) || isSeq(n)) for (const it of n.items) stack.push(it);
    else if (isPair(n)) stack.push(n.key, n.value);
  }
}

function parseWindow(text: string): Document | undefined {
  const doc = parseYaml(text, { prettyErrors: false, uniqueKeys: true, merge: true, keepSourceTokens: false });
  if (doc.errors.length || doc.warnings.length || !isMap(doc.contents) || aliasProblem(doc)) return undefined;
  return doc;
}

/** A part of a window's text outside the services: `at`, where it starts in the file, on line `line`, `lines` lines long. */
interface Segment {
  text: string;
  at: number;
  line: number;
  lines: number;
  /** A part of the top-level volumes entry. */
  volumes?: boolean;
}

/** The file's text outside the services, as segments: the top-level volumes entry cut to its key line and its last volume. */
function frameSegments(text: string, layout: Layout): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  let line = 1;
  const push = (from: number, to: number, volumes = false): void => {
    const lines = count(text, from, to);
    out.push({ text: text.slice(from, to), at: from, line: line + count(text, at, from), lines, ...(volumes ? { volumes } : {}) });
  };
  for (const e of layout.entries) {
    const end = at + e.text.length;
    if (e.kind === 'services') {
      push(at, layout.bodyStart); // (the window's services follow)
    } else if (e.kind === 'volumes') {
      const headEnd = at + e.text.indexOf(e.head) + e.head.length;
      const inner = firstContentLine(text, headEnd, end);
      const cut = inner && inner.indent > 0 ? entryStarts(text, headEnd, end, inner.indent, true) : undefined;
      const last = cut?.[cut.length - 1];
      if (last !== undefined && cut && cut.length > 1) {
        push(at, headEnd, true);
        push(last, end, true);
      } else push(at, end, true);
    } else push(at, end);
    line += count(text, at, end);
    at = end;
  }
  return out.filter((g) => g.text !== '');
}

/** The file's line of a window's line, from the window's segments in order. */
function fileLine(segments: readonly { line: number; lines: number }[], windowLine: number): number {
  let first = 1;
  for (const g of segments) {
    if (windowLine < first + g.lines || g === segments[segments.length - 1]) return g.line + (windowLine - first);
    first += g.lines;
  }
  return windowLine;
}

const count = (text: string, from: number, to: number): number => {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * The rewrite a window of services at a time, the same as the whole file's;
 * undefined when the file cannot be cut so (the caller rewrites it whole).
 */
export function transformComposeInWindows(text: string, options: TransformOptions, windowBytes = WINDOW_BYTES): TransformResult | undefined {
  if (binaryProblem(text) || nestingProblem(text) || text.startsWith('\uFEFF')) return undefined;
  const layout = layoutOf(text);
  if (!layout) return undefined;
  const { bodyStart, bodyEnd, starts } = layout;
  const n = starts.length - 1;
  // the text around the services: its anchors, and no alias to one inside them
  const around = parseWindow(text.slice(0, bodyStart) + text.slice(bodyEnd));
  if (!around || !isMap(around.contents)) return undefined;
  const topVolumes = around.contents.get('volumes', true);
  // a window holds the text around the services, but of the top-level volumes only the last (new volumes go after it;
  // a file with a volume per service would otherwise repeat most of itself in every window): the others' names are reserved
  const segments = frameSegments(text, layout);
  const before = segments.filter((g) => g.at < bodyStart);
  const after = segments.filter((g) => g.at >= bodyEnd);
  const beforeText = before.map((g) => g.text).join('');
  const afterText = after.map((g) => g.text).join('');
  const frame = (from: number, to: number): string => beforeText + text.slice(starts[from] as number, starts[to] as number) + afterText;
  const size = Math.max(windowBytes, 4 * (beforeText.length + afterText.length));

  const aroundDefined = new Set<string>();
  const aroundUsed = new Set<string>();
  anchorNames(around.contents, aroundDefined, aroundUsed);
  for (const name of aroundUsed) if (!aroundDefined.has(name)) return undefined;

  // first pass: every service's name, the services it refers to, its anchors
  const names: string[] = [];
  const refs: string[][] = [];
  const defines: Set<string>[] = [];
  const uses: Set<string>[] = [];
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && (starts[b] as number) - (starts[a] as number) < size) b++;
    const doc = parseWindow(frame(a, b));
    const services = doc && isMap(doc.contents) ? doc.contents.get('services', true) : undefined;
    if (!doc || !isMap(services) || services.items.length !== b - a) return undefined;
    for (const pair of services.items) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') return undefined;
      names.push(pair.key.value);
      try {
        // (an alias to an anchor in another window's service reads as null: the anchor joins the two services anyway)
        refs.push(serviceRefs(toValue(doc, pair.value, 'null')));
      } catch {
        return undefined;
      }
      const d = new Set<string>();
      const u = new Set<string>();
      anchorNames(pair.value, d, u);
      defines.push(d);
      uses.push(u);
    }
    a = b;
  }

  // groups: services that refer to each other or share an anchor defined among the services
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  const join = (i: number, j: number): void => {
    const a = find(i);
    const b = find(j);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  };
  // a name twice is an error of the whole file (a duplicate key), and an anchor of a service that the text around the
  // services also names would be read differently there without that service: both are left to the whole-file path
  const index = new Map<string, number>(names.map((name, i) => [name, i]));
  if (index.size !== n) return undefined;
  for (const d of defines) for (const a of d) if (aroundDefined.has(a) || aroundUsed.has(a)) return undefined;
  const anchorOwner = new Map<string, number>();
  for (let i = 0; i < n; i++) for (const a of defines[i] as Set<string>) {
    const o = anchorOwner.get(a);
    if (o === undefined) anchorOwner.set(a, i);
    else join(i, o);
  }
  for (let i = 0; i < n; i++) {
    for (const r of refs[i] as string[]) {
      const j = index.get(r);
      if (j !== undefined) join(i, j);
    }
    for (const a of uses[i] as Set<string>) {
      const o = anchorOwner.get(a);
      if (o !== undefined) join(i, o);
    }
  }
  const last = new Map<number, number>();
  for (let i = 0; i < n; i++) last.set(find(i), i);

  // windows: about `size` of services each, cut only where no group crosses
  const windows: [number, number][] = [];
  let from = 0;
  let reach = 0;
  for (let i = 0; i < n; i++) {
    reach = Math.max(reach, last.get(find(i)) as number);
    if (reach === i && ((starts[i + 1] as number) - (starts[from] as number) >= size || i + 1 === n)) {
      windows.push([from, i + 1]);
      from = i + 1;
    }
  }
  if (windows.length < 2) return undefined;

  // each window rewritten whole; the names each takes reserved for the next
  const reserved = new Set<string>(names);
  if (isMap(topVolumes)) for (const p of topVolumes.items) if (isScalar(p.key)) reserved.add(String(p.key.value));
  const headLines = count(beforeText, 0, beforeText.length);
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const bodies: string[] = [];
  const additions: string[] = [];
  let newVolumes: { at: number; head: string } | undefined;
  const originalVolumes = layout.entries.find((e) => e.kind === 'volumes');
  const others = layout.entries.filter((e) => e.kind === 'other').map((e) => e.text);
  let changed = false;
  let firstLineOf = count(text, 0, bodyStart) + 1; // the file's line where the window's services start
  const servicesEntry = layout.entries.find((e) => e.kind === 'services') as Entry;
  const lead = servicesEntry.text.slice(0, servicesEntry.text.indexOf(servicesEntry.head));
  for (const [a, b] of windows) {
    const wtext = frame(a, b);
    // the next window's first service: is there a blank line before it (read with the service before it)
    const next = b < n ? parseWindow(`services:\n${text.slice(starts[b - 1] as number, starts[b + 1] as number)}`) : undefined;
    const nextKey = isMap(next?.contents) ? (next.contents.get('services', true) as { items?: { key?: unknown }[] } | undefined)?.items?.[1]?.key : undefined;
    const r = transformComposeWhole(wtext, options, reserved, isScalar(nextKey) && nextKey.spaceBefore === true);
    if (hasErrors(r.diagnostics)) return undefined;
    changed ||= r.changed;
    // the window's lines back to the file's
    const sliceLines = count(text, starts[a] as number, starts[b] as number);
    const lines = [...before, { text: '', at: -1, line: firstLineOf, lines: sliceLines }, ...after];
    for (const d of r.diagnostics) {
      const line = d.line;
      const inSlice = line !== undefined && line > headLines && line <= headLines + sliceLines;
      const mapped: Diagnostic = line === undefined ? d : { ...d, line: fileLine(lines, line) };
      if (!inSlice) {
        const key = JSON.stringify(mapped);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      diagnostics.push(mapped);
    }
    firstLineOf += sliceLines;
    // the window's services back in place; the rest of its text must be the file's, but for new volumes
    const out = topEntries(r.output);
    if (!out) return undefined;
    const services = out.find((e) => e.kind === 'services') as Entry;
    const body = services.text.slice(services.text.indexOf(services.head) + services.head.length);
    const inner = firstContentLine(body, 0, body.length);
    if (services.head !== servicesEntry.head || !services.text.startsWith(lead) || !inner || inner.indent !== layout.col) return undefined;
    if (b < n && !body.endsWith('\n')) return undefined;
    bodies.push(body);
    const outOthers = out.filter((e) => e.kind === 'other').map((e) => e.text);
    if (outOthers.length !== others.length || outOthers.some((t, i) => t !== others[i])) return undefined;
    const kinds = out.map((e) => e.kind).join();
    const volumes = out.find((e) => e.kind === 'volumes');
    if (originalVolumes) {
      const framed = segments.filter((g) => g.volumes).map((g) => g.text).join('');
      if (kinds !== layout.entries.map((e) => e.kind).join() || !volumes || !volumes.text.startsWith(framed)) return undefined;
      additions.push(volumes.text.slice(framed.length));
    } else if (volumes) {
      // a volumes key the file did not have: at the same place in every window that adds one
      const at = out.indexOf(volumes);
      if (newVolumes && (newVolumes.at !== at || newVolumes.head !== volumes.head)) return undefined;
      if (kinds !== [...layout.entries.map((e) => e.kind).slice(0, at), 'volumes', ...layout.entries.map((e) => e.kind).slice(at)].join()) return undefined;
      newVolumes = { at, head: volumes.head };
      additions.push(volumes.text.slice(volumes.text.indexOf(volumes.head) + volumes.head.length));
    } else if (kinds !== layout.entries.map((e) => e.kind).join()) return undefined;
  }
  if (!changed) return { output: text, diagnostics, changed: false };

  const parts: string[] = [];
  layout.entries.forEach((e, i) => {
    if (newVolumes && newVolumes.at === i) parts.push(newVolumes.head, ...additions);
    if (e.kind === 'services') parts.push(lead, e.head, ...bodies);
    else if (e.kind === 'volumes') parts.push(e.text, ...additions);
    else parts.push(e.text);
  });
  if (newVolumes && newVolumes.at === layout.entries.length) parts.push(newVolumes.head, ...additions);
  return { output: parts.join(''), diagnostics, changed: true };
}
