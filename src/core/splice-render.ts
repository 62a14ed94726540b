/**
 * Printing a changed document by splicing: every part of the edited tree that
 * equals the original at the same place is the exact source text (comments,
 * quoting, indentation, trailing spaces, folded scalars, flow collections),
 * and only what the split changed is printed, at the column and in the style
 * (indent step, sequence indentation, `-   ` item offset) of the source. A
 * GitOps diff then shows the split and nothing else.
 *
 * The walk goes from the root over block maps and block sequences. A child of
 * a collection is its own lines (from its key or `-` line to the end of its
 * last line) with its "lead" before it (the blank and comment lines between
 * it and the previous child, which yaml attaches to it as a comment before).
 * An unchanged child is copied with its lead; a changed child whose value is a
 * block collection on both sides is copied up to the value and recursed into;
 * anything else that changed is printed, and a new child is printed where the
 * edited tree has it. Map pairs are matched by key, sequence items by `name`
 * (maps with one) or by position and equality.
 *
 * Anything the walk cannot lay out safely (a document that is not a block map,
 * a `-` line with something else on it, content between children that is not
 * a comment) returns undefined: the caller prints the whole document instead.
 * `verifySplice` is the safety net: the spliced text must read back as the
 * edited tree (values, and the source text of every non-string scalar).
 *
 * Precondition: preserveScalars() has run on the edited document (failsafe
 * schema, every scalar value a string); `snapshot` was taken before it.
 * Linear in the document: each source line is looked at a bounded number of
 * times (line starts and ends are found from the offsets yaml gives).
 */
import { Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { parseYaml } from '../shared/yaml-parse.js';
import { fastParseDocument } from './fast-yaml.js';
import { renderFast, SIMPLE } from './fast-render.js';
import { needsQuotes } from './yaml-nodes.js';
import { entryStarts, firstContentLine } from './yaml-lines.js';

/** How the pipeline and the Compose front door read a document (merge keys as kubectl and Compose read them). */
const PARSE = { prettyErrors: false, uniqueKeys: true, keepSourceTokens: false } as const;

/** Parses a document as the front doors do: the fast reader, else yaml with merge keys. */
export function parseLikeInput(text: string): Document {
  return fastParseDocument(text, PARSE) ?? parseYaml(text, { ...PARSE, merge: true });
}

/**
 * What a document says, as a flat list: values of strings, source text of
 * every other scalar (YAML 1.1 `0444`, `yes`: what preserveScalars keeps),
 * aliases and anchors, the shape of maps and sequences. Two documents with
 * equal snapshots are read alike by kubectl and Compose.
 */
export function snapshot(doc: Document | null, source: string, root: unknown = doc?.contents): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (n === null || n === undefined) {
      out.push('~');
      return;
    }
    if (isScalar(n)) {
      const v = n.value;
      out.push(typeof v === 'string' ? `s${v}` : `t${n.range ? source.slice(n.range[0], n.range[1]) : v === null ? '' : String(v)}`);
    } else if (isAlias(n)) out.push(`*${n.source}`);
    else if (isMap(n)) {
      out.push('{');
      for (const p of n.items) {
        walk(p.key);
        walk(p.value);
      }
      out.push('}');
    } else if (isSeq(n)) {
      out.push('[');
      for (const it of n.items) walk(it);
      out.push(']');
    } else out.push('?');
    const anchor = (n as { anchor?: string }).anchor;
    if (anchor) out.push(`&${anchor}`);
  };
  walk(root);
  return out;
}

/**
 * Whether `text` reads back as the document `expected` is a snapshot of.
 * A text over READ_WHOLE_MAX is read in pieces where it can be cut
 * (verifyInPieces): a 20 MB Compose file prints ~100 MB, whose reading in
 * one piece needs GBs.
 */
export function verifySplice(text: string, expected: readonly string[]): boolean {
  if (text.length > READ_WHOLE_MAX) {
    const inPieces = verifyInPieces(text, expected);
    if (inPieces !== undefined) return inPieces;
  }
  const back = parseLikeInput(text);
  if (back.errors.length || back.warnings.length) return false;
  const got = snapshot(back, text);
  if (got.length !== expected.length) return false;
  for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) return false;
  return true;
}

/** Longest text read back in one piece. */
export const READ_WHOLE_MAX = 1 << 20;
/** About how much text one piece holds (a run of whole entries of a block map; an entry over 4 times as much is cut itself). */
const PIECE_SIZE = 64 * 1024;

/**
 * Reads a large block-map document back a piece at a time and compares each
 * piece's snapshot with its part of `expected`: the entries of the top-level
 * map, in runs of about PIECE_SIZE, and the entries of an entry too large for
 * one piece (`services:` with 100,000 services) the same way, one level down.
 * A piece is whole lines from an entry's key line to the next entry's, every
 * other line indented deeper (or blank, or a comment), so it reads alone as
 * it reads in place; snapshots do not resolve aliases, so an alias whose
 * anchor is in another piece reads the same. Undefined when the text cannot
 * be cut so (a document marker, a sequence, a line indented less than its
 * map, a tab, a piece that does not read alone): the caller reads it whole.
 */
export function verifyInPieces(text: string, expected: readonly string[], pieceSize = PIECE_SIZE): boolean | undefined {
  if (expected[0] !== '{') return undefined;
  const first = firstContentLine(text, 0, text.length);
  if (first === undefined) return undefined;
  const reader = { at: 1 };
  const r = verifyMapEntries(text, 0, text.length, first.indent, expected, reader, pieceSize);
  if (r !== true) return r;
  return expected[reader.at] === '}' && reader.at + 1 === expected.length;
}

function verifyMapEntries(text: string, from: number, to: number, col: number, expected: readonly string[], reader: { at: number }, pieceSize: number): boolean | undefined {
  const starts = entryStarts(text, from, to, col);
  if (!starts) return undefined;
  starts.push(to);
  const at = (k: number): number => starts[k] as number;
  let run = 0; // the first entry of the run being gathered
  for (let k = 0; k + 1 < starts.length; k++) {
    if (at(k + 1) - at(k) > pieceSize * 4) {
      if (k > run) {
        const r = verifyPiece(text.slice(at(run), at(k)), expected, reader);
        if (r !== true) return r;
      }
      const r = verifyLargeEntry(text, at(k), at(k + 1), col, expected, reader, pieceSize);
      if (r !== true) return r;
      run = k + 1;
    } else if (at(k + 1) - at(run) >= pieceSize || k + 2 === starts.length) {
      const r = verifyPiece(text.slice(at(run), at(k + 1)), expected, reader);
      if (r !== true) return r;
      run = k + 1;
    }
  }
  return true;
}

/** An entry too large for one piece: `key:` alone on its line, then a block map read in pieces; else read in one piece. */
function verifyLargeEntry(text: string, from: number, to: number, col: number, expected: readonly string[], reader: { at: number }, pieceSize: number): boolean | undefined {
  const key = firstContentLine(text, from, to);
  const nl = key ? text.indexOf('\n', key.start) : -1;
  const inner = nl >= 0 ? firstContentLine(text, nl + 1, to) : undefined;
  const c = inner ? text.slice(inner.start + inner.indent, inner.start + inner.indent + 2) : '';
  // (a sequence, `- ` or `-` alone, is read in one piece)
  if (!key || !inner || inner.indent <= col || c === '-' || /^-[ \r\n]/.test(c)) return verifyPiece(text.slice(from, to), expected, reader);
  // the head: everything up to the key line's end, read alone: a key whose value is empty, with nothing on it
  const headText = text.slice(from, nl + 1);
  const head = parseLikeInput(headText);
  const pair = isMap(head.contents) && head.contents.items.length === 1 ? head.contents.items[0] : undefined;
  const value = pair?.value;
  if (head.errors.length || head.warnings.length || !pair || !isScalar(value) || value.value !== null || value.tag || value.anchor || (head.contents as YAMLMap).anchor) {
    return verifyPiece(text.slice(from, to), expected, reader);
  }
  // where the expected value is not a map with this key, the entry is read in one piece (which says how it differs)
  const keyShot = snapshot(null, headText, pair.key);
  keyShot.push('{');
  for (let i = 0; i < keyShot.length; i++) {
    if (expected[reader.at + i] !== keyShot[i]) return verifyPiece(text.slice(from, to), expected, reader);
  }
  reader.at += keyShot.length;
  const r = verifyMapEntries(text, nl + 1, to, inner.indent, expected, reader, pieceSize);
  if (r !== true) return r;
  return expected[reader.at++] === '}';
}

/** Reads one piece (whole entries of one block map) alone and compares its entries with `expected` from `reader.at`. */
function verifyPiece(piece: string, expected: readonly string[], reader: { at: number }): boolean | undefined {
  const back = parseLikeInput(piece);
  if (back.errors.length || back.warnings.length || !isMap(back.contents) || back.contents.flow || back.contents.anchor || back.contents.tag) return undefined;
  const got = snapshot(back, piece);
  for (let i = 1; i < got.length - 1; i++) if (expected[reader.at++] !== got[i]) return false;
  return true;
}

/** Thrown inside the walk when a part cannot be laid out: the caller prints that part (or the document) instead. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported('splice: not handled');
const unsupported = (): never => {
  throw UNSUPPORTED;
};

/** A child of a collection in the source: its lead (comments and blank lines before it) and its own lines. */
interface Child {
  /** Where its lead starts. */
  lead: number;
  /** Where its own text starts: its line start, or its key when the key follows a `- ` on the line. */
  start: number;
  /** After its last line (its line break included). */
  end: number;
  /** Column of its key (map) or of its `-` (sequence). */
  col: number;
  /** A map pair whose key follows the item's `- ` on the same line. */
  onDash: boolean;
  /** A sequence item: the columns from `-` to the item's content. */
  off: number;
}

const ONLY_COMMENTS = /^(?:[ \t]*(?:#[^\n]*)?\n)*$/;
const BLANKS = /^ *$/;
const DASH = /^( *)-( +)$/;

/**
 * The spliced text of `edited` (after preserveScalars) over `source`, whose
 * fresh parse is `original`; undefined when the document cannot be spliced.
 */
export function spliceRender(edited: Document, original: Document, source: string, indentSeq: boolean): string | undefined {
  const o = original.contents;
  const e = edited.contents;
  if (original.errors.length || !isBlockCollection(o) || !isMap(o) || !isBlock(e) || !isMap(e)) return undefined;
  if ((original.commentBefore ?? null) !== (edited.commentBefore ?? null) || (original.comment ?? null) !== (edited.comment ?? null)) return undefined;
  if (Boolean(original.directives?.docStart) !== Boolean(edited.directives?.docStart)) return undefined;
  if (!sameProps(o, e, false)) return undefined;
  try {
    return new Splicer(source, edited, indentSeq).document(o, e);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}

/** A non-empty block map or sequence (not a flow one, not `!!set` and the like). */
function isBlock(n: unknown): n is YAMLMap | YAMLSeq {
  return (isMap(n) || isSeq(n)) && !n.flow && n.items.length > 0 && (n.constructor === YAMLMap || n.constructor === YAMLSeq);
}

/** A block collection of the source (it has a place in it). */
function isBlockCollection(n: unknown): n is YAMLMap | YAMLSeq {
  return isBlock(n) && Array.isArray(n.range);
}

const norm = (v: unknown): unknown => (v === null || v === undefined || v === false || v === '' ? undefined : v);

/**
 * The properties of a node other than its value; `before`: with the comment
 * and blank line before it; `flow`: with its flow style (a collection recursed
 * into must keep it; one copied whole may have been rebuilt in another style).
 */
function sameProps(o: Node, e: Node, before: boolean, flow = true): boolean {
  const a = o as unknown as Record<string, unknown>;
  const b = e as unknown as Record<string, unknown>;
  if (norm(a.anchor) !== norm(b.anchor) || norm(a.tag) !== norm(b.tag) || norm(a.comment) !== norm(b.comment)) return false;
  if (before && (norm(a.commentBefore) !== norm(b.commentBefore) || Boolean(a.spaceBefore) !== Boolean(b.spaceBefore))) return false;
  return !flow || Boolean(a.flow) === Boolean(b.flow);
}

class Splicer {
  private readonly eol: string;
  private readonly memo = new Map<unknown, { o: unknown; same: boolean }>();
  private readonly mini: Document;
  private step = 0;
  private seqIndent = -1;
  private off = 0;
  /** The offset of items that are not maps (`- sh` beside `-   name: x` is common). */
  private offScalar = 0;

  constructor(
    private readonly src: string,
    edited: Document,
    private readonly indentSeq: boolean,
  ) {
    this.eol = src.includes('\r\n') ? '\r\n' : '\n';
    this.mini = new Document(null);
    this.mini.schema = edited.schema;
  }

  document(o: YAMLMap, e: YAMLMap): string {
    this.detectStyle(o);
    const first = o.items[0]?.key as Node | undefined;
    if (!isScalar(first) || !first.range) return unsupported();
    const start = this.lineStart(first.range[0]);
    const body = this.mapBody(o, e, start, false, true);
    const end = this.endOf(o);
    let out = this.src.slice(0, start) + body + this.src.slice(end);
    // a source without a final line break: the last line printed gets none either
    if (end === this.src.length && !this.src.endsWith('\n') && out.endsWith('\n')) out = out.slice(0, out.endsWith('\r\n') ? -2 : -1);
    return out;
  }

  // --- the source: lines and layout -------------------------------------------------------------

  private lineStart(p: number): number {
    return this.src.lastIndexOf('\n', p - 1) + 1;
  }

  /** The end of the line holding the character before `p` (`p` itself when it starts a line). */
  private lineEnd(p: number): number {
    if (p > 0 && this.src[p - 1] === '\n') return p;
    const i = this.src.indexOf('\n', p);
    return i < 0 ? this.src.length : i + 1;
  }

  /** After the last line of a node. */
  private endOf(n: unknown): number {
    if (isBlockCollection(n)) {
      const last = n.items[n.items.length - 1];
      return isPair(last) ? this.pairEnd(last) : this.endOf(last);
    }
    if (isNode(n) && n.range) return this.lineEnd(n.range[1]);
    return unsupported();
  }

  private pairEnd(p: Pair): number {
    const key = p.key as Node;
    if (!isScalar(key) || !key.range) return unsupported();
    const keyEnd = this.lineEnd(key.range[1]);
    return p.value === null ? keyEnd : Math.max(keyEnd, this.endOf(p.value));
  }

  /** The children of a block map; the lead of the first starts at `leadStart`. */
  private mapLayout(o: YAMLMap, leadStart: number, itemStart: boolean): Child[] {
    const out: Child[] = [];
    let col = -1;
    let prevEnd = leadStart;
    for (let i = 0; i < o.items.length; i++) {
      const p = o.items[i]!;
      const key = p.key as Node;
      if (!isScalar(key) || !key.range || key.type === 'BLOCK_LITERAL' || key.type === 'BLOCK_FOLDED') return unsupported();
      const k = key.range[0];
      const ls = this.lineStart(k);
      const prefix = this.src.slice(ls, k);
      let child: Child;
      if (BLANKS.test(prefix)) child = { lead: prevEnd, start: ls, end: 0, col: prefix.length, onDash: false, off: 0 };
      else if (i === 0 && itemStart && DASH.test(prefix)) child = { lead: k, start: k, end: 0, col: prefix.length, onDash: true, off: 0 };
      else return unsupported();
      if (col >= 0 && child.col !== col) return unsupported();
      col = child.col;
      this.checkLead(child.lead, child.start);
      child.end = this.pairEnd(p);
      if (child.end <= child.start) return unsupported();
      prevEnd = child.end;
      out.push(child);
    }
    return out;
  }

  private seqLayout(o: YAMLSeq, leadStart: number): Child[] {
    const out: Child[] = [];
    let col = -1;
    let prevEnd = leadStart;
    for (const it of o.items) {
      if (!isNode(it) || !it.range) return unsupported();
      const s = it.range[0];
      const ls = this.lineStart(s);
      const m = DASH.exec(this.src.slice(ls, s));
      if (!m) return unsupported();
      const child: Child = { lead: prevEnd, start: ls, end: 0, col: m[1]!.length, onDash: false, off: m[2]!.length + 1 };
      if (col >= 0 && child.col !== col) return unsupported();
      col = child.col;
      this.checkLead(child.lead, child.start);
      child.end = this.endOf(it);
      if (child.end <= child.start) return unsupported();
      prevEnd = child.end;
      out.push(child);
    }
    return out;
  }

  /** Between two children: only blank lines and comments (else something was not laid out as thought). */
  private checkLead(from: number, to: number): void {
    if (from > to) unsupported();
    if (from < to && !ONLY_COMMENTS.test(this.src.slice(from, to).replaceAll('\r\n', '\n'))) unsupported();
  }

  // --- comparing the original with the edited tree ------------------------------------------------

  /** A scalar's text as preserveScalars writes it. */
  private text(s: Scalar): string {
    const v = s.value;
    if (typeof v === 'string') return v;
    return s.range ? this.src.slice(s.range[0], s.range[1]) : v === null ? '' : String(v);
  }

  private typeOf(s: Scalar): string | undefined {
    return typeof s.value === 'string' ? s.type : 'PLAIN';
  }

  /** Whether the edited node `e` is the original node `o` (value, style, comments); `before`: compare its comment before. */
  private same(o: unknown, e: unknown, before: boolean): boolean {
    if (o === null || e === null || o === undefined || e === undefined) return (o ?? null) === (e ?? null);
    if (isScalar(o)) {
      if (!isScalar(e) || typeof e.value !== 'string' || e.value !== this.text(o) || !sameProps(o, e, before)) return false;
      // the same text in another style (a node the split rebuilt with the same value) is the same string,
      // unless a plain one may read as something else (YAML 1.1 `yes`, `0444`)
      const plainO = (this.typeOf(o) ?? 'PLAIN') === 'PLAIN';
      const plainE = (e.type ?? 'PLAIN') === 'PLAIN';
      return plainO === plainE ? plainO || typeof o.value === 'string' : !needsQuotes(e.value);
    }
    if (isAlias(o)) return isAlias(e) && o.source === e.source && sameProps(o, e, before);
    if (!(isMap(o) || isSeq(o)) || !(isMap(e) || isSeq(e)) || o.constructor !== e.constructor) return false;
    if (!sameProps(o, e, before, false)) return false;
    const hit = this.memo.get(e);
    if (hit && hit.o === o) return hit.same;
    let same = o.items.length === e.items.length;
    for (let i = 0; same && i < o.items.length; i++) {
      const a = o.items[i];
      const b = e.items[i];
      same = isPair(a) ? isPair(b) && this.same(a.key, b.key, true) && this.same(a.value, b.value, true) : this.same(a, b, true);
    }
    this.memo.set(e, { o, same });
    return same;
  }

  private keyId(k: unknown): string | undefined {
    if (!isScalar(k)) return undefined;
    const quoted = k.type === 'QUOTE_DOUBLE' || k.type === 'QUOTE_SINGLE';
    return (quoted ? 'q' : 'p') + (typeof k.value === 'string' ? k.value : this.text(k));
  }

  // --- the walk ---------------------------------------------------------------------------------

  /**
   * The text of a block map, edited, over the original's source. `itemStart`:
   * the text goes right after a `- ` (its first line is not indented).
   */
  private mapBody(o: YAMLMap, e: YAMLMap, leadStart: number, itemStart: boolean, root = false): string {
    const layout = this.mapLayout(o, leadStart, itemStart);
    const col = layout[0]!.col;
    if (root) layout[0]!.lead = layout[0]!.start;
    const index = new Map<string, number>();
    o.items.forEach((p, i) => {
      const id = this.keyId(p.key);
      if (id !== undefined) index.set(id, i);
    });
    const used = new Uint8Array(o.items.length);
    let out = '';
    let atStart = itemStart;
    for (const ep of e.items) {
      if (!isPair(ep)) return unsupported();
      const id = this.keyId(ep.key);
      const k = id === undefined ? undefined : index.get(id);
      if (k === undefined || used[k]) {
        out += this.adjust(this.pairText(ep, col, false, atStart), col, atStart, false);
        atStart = false;
        continue;
      }
      used[k] = 1;
      const op = o.items[k]!;
      const ch = layout[k]!;
      const lead = atStart ? '' : this.src.slice(ch.lead, ch.start);
      let piece: string | undefined;
      if (this.same(op.key, ep.key, false) && this.same(op.value, ep.value, true)) {
        piece = this.adjust(this.src.slice(ch.start, ch.end), col, atStart, ch.onDash);
      } else if (this.same(op.key, ep.key, false)) piece = this.changedPair(op, ep, ch, atStart);
      piece ??= this.adjust(this.pairText(ep, col, true, atStart), col, atStart, false);
      out += lead + piece;
      atStart = false;
    }
    return out;
  }

  /** A pair whose value is a block collection on both sides, with the collection recursed into; undefined when it cannot be. */
  private changedPair(op: Pair, ep: Pair, ch: Child, atStart: boolean): string | undefined {
    const ov = op.value;
    const ev = ep.value;
    if (!isBlockCollection(ov) || !isBlock(ev) || isMap(ov) !== isMap(ev) || !sameProps(ov, ev, true)) return undefined;
    const headerEnd = this.lineEnd((op.key as Scalar).range![1]);
    try {
      const body = isMap(ov) ? this.mapBody(ov, ev as YAMLMap, headerEnd, false) : this.seqBody(ov as YAMLSeq, ev as YAMLSeq, headerEnd);
      return this.adjust(this.src.slice(ch.start, headerEnd), ch.col, atStart, ch.onDash) + body;
    } catch (err) {
      if (err instanceof Unsupported) return undefined;
      throw err;
    }
  }

  /**
   * Fits a piece to where it goes: right after a `- ` (`atStart`) its first line
   * loses its indentation; a piece that followed a `- ` in the source
   * (`onDash`) and now starts a line gets it.
   */
  private adjust(text: string, col: number, atStart: boolean, onDash: boolean): string {
    if (atStart && !onDash) {
      if (!BLANKS.test(text.slice(0, col))) return unsupported();
      text = text.slice(col);
    } else if (!atStart && onDash) text = ' '.repeat(col) + text;
    return text.endsWith('\n') ? text : text + this.eol;
  }

  private seqBody(o: YAMLSeq, e: YAMLSeq, leadStart: number): string {
    const layout = this.seqLayout(o, leadStart);
    const col = layout[0]!.col;
    const offMap = layout.find((c, i) => isMap(o.items[i]))?.off ?? this.off;
    const offOther = layout.find((c, i) => !isMap(o.items[i]))?.off ?? this.offScalar;
    const off = (it: unknown): number => (isMap(it) ? offMap : offOther);
    const names = new Map<string, number>();
    o.items.forEach((it, i) => {
      const n = nameOf(it);
      if (n !== undefined && !names.has(n)) names.set(n, i);
    });
    const used = new Uint8Array(o.items.length);
    let cursor = 0;
    let out = '';
    for (const ei of e.items) {
      let k = -1;
      let exact = false;
      const name = nameOf(ei);
      if (name !== undefined) {
        const j = names.get(name);
        if (j !== undefined && !used[j]) {
          k = j;
          exact = this.same(o.items[j], ei, false);
        }
      } else {
        // an equal item a little further on (items were inserted before it), else the one at this place
        for (let j = cursor; j < Math.min(o.items.length, cursor + 8); j++) {
          if (!used[j] && nameOf(o.items[j]) === undefined && this.same(o.items[j], ei, false)) {
            k = j;
            exact = true;
            break;
          }
        }
        if (k < 0 && cursor < o.items.length && !used[cursor] && nameOf(o.items[cursor]) === undefined) k = cursor;
      }
      if (k < 0) {
        out += this.itemText(ei, col, off(ei), false);
        continue;
      }
      used[k] = 1;
      cursor = Math.max(cursor, k + 1);
      const oi = o.items[k];
      const ch = layout[k]!;
      let piece: string | undefined;
      if (exact) piece = this.adjust(this.src.slice(ch.start, ch.end), col, false, false);
      else if (isBlockCollection(oi) && isMap(oi) && isBlock(ei) && isMap(ei) && sameProps(oi, ei, false)) {
        try {
          const first = (oi.items[0]!.key as Scalar).range![0];
          piece = this.src.slice(ch.start, first) + this.mapBody(oi, ei, first, true);
        } catch (err) {
          if (!(err instanceof Unsupported)) throw err;
        }
      }
      piece ??= this.itemText(ei, col, off(ei), true);
      out += this.src.slice(ch.lead, ch.start) + piece;
    }
    return out;
  }

  // --- printing what changed ----------------------------------------------------------------------

  /** Indent step, sequence indentation and item offset of the source (from its first examples; defaults 2, `indentSeq`, 2). */
  private detectStyle(root: YAMLMap): void {
    const colOf = (n: Node): number | undefined => {
      const r = n.range;
      if (!r) return undefined;
      const ls = this.lineStart(r[0]);
      const prefix = this.src.slice(ls, r[0]);
      return BLANKS.test(prefix) || DASH.test(prefix) ? prefix.length : undefined;
    };
    let budget = 100; // nodes looked at: the first examples are enough
    const walk = (n: unknown, col: number | undefined): void => {
      if (budget-- <= 0 || (this.step && this.seqIndent >= 0 && this.off && this.offScalar)) return;
      if (isMap(n) && !n.flow) {
        for (const p of n.items) {
          const key = p.key as Node;
          const kc = isScalar(key) ? colOf(key) : undefined;
          const v = p.value;
          if (kc !== undefined && isBlockCollection(v)) {
            const first = isMap(v) ? (v.items[0]?.key as Node) : (v.items[0] as Node);
            const fc = isNode(first) ? colOf(first) : undefined;
            if (fc !== undefined && isMap(v) && !this.step && fc > kc) this.step = fc - kc;
            if (fc !== undefined && isSeq(v) && this.seqIndent < 0 && first.range) {
              const dash = this.src.slice(this.lineStart(first.range[0]), first.range[0]).indexOf('-');
              if (dash >= kc) this.seqIndent = dash - kc;
            }
          }
          walk(v, kc);
        }
      } else if (isSeq(n) && !n.flow) {
        for (const it of n.items) {
          if (isMap(it) && !it.flow && !this.off && isScalar(it.items[0]?.key) && (it.items[0]!.key as Scalar).range) {
            const k = (it.items[0]!.key as Scalar).range![0];
            const m = DASH.exec(this.src.slice(this.lineStart(k), k));
            if (m) this.off = m[2]!.length + 1;
          } else if (isScalar(it) && !this.offScalar && it.range) {
            const m = DASH.exec(this.src.slice(this.lineStart(it.range[0]), it.range[0]));
            if (m) this.offScalar = m[2]!.length + 1;
          }
          walk(it, col);
        }
      }
    };
    walk(root, 0);
    this.step ||= 2;
    if (this.seqIndent < 0) this.seqIndent = this.indentSeq ? this.step : 0;
    this.off ||= 2;
    this.offScalar ||= this.off;
  }

  /**
   * Lines of a printed pair at `col` (every line indented); `skipBefore`: its
   * comment and blank line before are in the copied lead; `first`: what its
   * first line starts with instead of the indentation (`  -   ` for the first
   * pair of an item; the caller checked it has nothing before it).
   */
  private pairText(p: Pair, col: number, skipBefore: boolean, atStart: boolean, first?: string): string {
    const key = p.key;
    const value = p.value;
    let out = '';
    if (isScalar(key) && !skipBefore) {
      if (key.spaceBefore && !atStart) out += this.eol;
      if (key.commentBefore) out += this.commentLines(key.commentBefore, col);
    }
    if (isScalar(key) && simpleKey(key) && isBlock(value) && plainBlock(value)) {
      const nested = isMap(value) ? this.mapLines(value, col + this.step) : this.seqLines(value as YAMLSeq, col + this.seqIndent);
      return out + (first ?? ' '.repeat(col)) + String(key.value) + ':' + this.eol + nested;
    }
    const simple = isScalar(key) && simpleKey(key) ? simpleScalar(value) : undefined;
    if (simple !== undefined) return out + (first ?? ' '.repeat(col)) + String((key as Scalar).value) + ': ' + simple + this.eol;
    const k = isScalar(key) ? withoutBefore(key) : key;
    const m = new YAMLMap(this.mini.schema);
    m.items = [new Pair(k, value)];
    return out + this.indent(this.leaf(m), col, first);
  }

  private mapLines(m: YAMLMap, col: number, first?: string): string {
    let out = '';
    m.items.forEach((p, i) => (out += this.pairText(p, col, false, false, i === 0 ? first : undefined)));
    return out;
  }

  private seqLines(s: YAMLSeq, col: number, first?: string): string {
    let out = '';
    s.items.forEach((it, i) => (out += this.itemText(it, col, isMap(it) ? this.off : this.offScalar, false, i === 0 ? first : undefined)));
    return out;
  }

  /** Lines of a printed sequence item with its `-` at `col` and its content `off` columns further. */
  private itemText(it: unknown, col: number, off: number, skipBefore: boolean, first?: string): string {
    let out = '';
    if (isNode(it) && !skipBefore) {
      if (it.spaceBefore) out += this.eol;
      if (it.commentBefore) out += this.commentLines(it.commentBefore, col);
    }
    // a block item whose first line is content (not a comment or a blank line) follows the `-` on its line
    if (isBlock(it) && plainBlock(it)) {
      const head = it.items[0];
      const h = isPair(head) ? head.key : head;
      if (isNode(h) && !h.commentBefore && !h.spaceBefore) {
        const dash = (first ?? ' '.repeat(col)) + '-' + ' '.repeat(off - 1);
        return out + (isMap(it) ? this.mapLines(it, col + off, dash) : this.seqLines(it as YAMLSeq, col + off, dash));
      }
    }
    const simple = simpleScalar(it);
    if (simple !== undefined) return out + (first ?? ' '.repeat(col)) + '-' + ' '.repeat(off - 1) + simple + this.eol;
    const s = new YAMLSeq(this.mini.schema);
    s.items = [isNode(it) ? withoutBefore(it) : it];
    let text = this.leaf(s);
    if (!text.includes('\n') && text.startsWith('- ')) text = '-' + ' '.repeat(off - 1) + text.slice(2);
    return out + this.indent(text, col, first);
  }

  /** yaml's text of a one-pair map or one-item sequence at column 0, without its final line break. */
  private leaf(c: YAMLMap | YAMLSeq): string {
    this.mini.contents = c;
    const text =
      renderFast(this.mini, this.indentSeq) ??
      this.mini.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq: this.indentSeq, indent: this.step, verifyAliasOrder: false });
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  }

  /** Every non-empty line indented by `col` (the first by `first` when given), each line ended with the source's line break. */
  private indent(text: string, col: number, first?: string): string {
    const pad = ' '.repeat(col);
    let out = '';
    text.split('\n').forEach((line, i) => (out += (i === 0 && first !== undefined ? first + line : line ? pad + line : '') + this.eol));
    return out;
  }

  /** yaml's comment lines (stringifyComment) at `col`. */
  private commentLines(c: string, col: number): string {
    const pad = ' '.repeat(col);
    let out = '';
    for (const line of c.split('\n')) out += (line === '' ? '' : `${pad}#${line === ' ' ? '' : line}`) + this.eol;
    return out;
  }
}

/** A key printed as it is: a plain word (the keys of Kubernetes and Compose). */
function simpleKey(k: Scalar): boolean {
  return typeof k.value === 'string' && (k.type === 'PLAIN' || k.type === undefined) && !k.anchor && !k.tag && !k.comment && /^[A-Za-z0-9_][\w./-]*$/.test(k.value);
}

/**
 * The text of a one-line scalar without comments or properties, as yaml (and
 * fast-render) print it: plain text that can stay plain, double-quoted
 * printable ASCII; undefined for anything else (printed by `leaf`).
 */
function simpleScalar(n: unknown): string | undefined {
  if (!isScalar(n) || typeof n.value !== 'string' || n.anchor || n.tag || n.comment || n.commentBefore || n.spaceBefore) return undefined;
  const v = n.value;
  if ((n.type === 'PLAIN' || n.type === undefined) && SIMPLE.test(v)) return v;
  if (n.type === 'QUOTE_DOUBLE' && /^[\x20-\x7e]*$/.test(v)) return JSON.stringify(v);
  return undefined;
}

/** A block collection without comments or properties of its own (those are left to yaml). */
function plainBlock(n: YAMLMap | YAMLSeq): boolean {
  return !n.anchor && !n.tag && !n.comment && !n.commentBefore && !n.spaceBefore;
}

function withoutBefore<T extends Node>(n: T): T {
  if (!n.commentBefore && !n.spaceBefore) return n;
  // every own property, the non-enumerable ones too: a copy made by Object.assign loses what makes yaml
  // print the node as a node of this document (its scalars then lose their quotes: "0644" became 0644)
  const copy = Object.create(Object.getPrototypeOf(n) as object, Object.getOwnPropertyDescriptors(n)) as T;
  copy.commentBefore = undefined;
  copy.spaceBefore = undefined;
  return copy;
}

/** The `name:` of a map item (containers, env, volumes, ports...). */
function nameOf(it: unknown): string | undefined {
  if (!isMap(it)) return undefined;
  for (const p of it.items) {
    if (isScalar(p.key) && p.key.value === 'name') return isScalar(p.value) && typeof p.value.value === 'string' ? p.value.value : undefined;
  }
  return undefined;
}
