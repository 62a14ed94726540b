/**
 * A fast reader for the block-YAML that Kubernetes manifests are written in.
 *
 * Helm runs a post-renderer on every install, so a 100-document chart must be
 * rewritten in about the time a Go tool takes. `yaml`'s lexer, parser and
 * composer, run cold (a new process each time, code not yet optimised by V8),
 * cost ~10 ms per workload document. This reader handles the common subset
 * line by line, with regular expressions doing the scanning, and builds the
 * very nodes `parseDocument` would (same classes, values, scalar styles,
 * comments, blank lines, ranges). On anything outside the subset (anchors,
 * aliases, tags, multi-line plain or quoted scalars, folded scalars, escapes,
 * tabs, CRLF, complex keys, and comment placements whose attachment has not
 * been checked against `yaml`) it returns undefined and the caller parses with
 * `yaml`. `sameTree` (below) compares its result with `yaml`'s: the test suite
 * runs every document it reads through both (DISTROLESS_INIT_SELF_CHECK=1).
 */
import {
  Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Pair,
  Scalar,
  YAMLMap,
  YAMLSeq,
  type DocumentOptions,
  type LineCounter,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml';

type Options = ParseOptions & DocumentOptions & SchemaOptions;

/** Thrown inside the reader when the text leaves the subset. */
class Unsupported extends Error {}

/** What the lines before a node give it. */
interface Gap {
  spaceBefore?: boolean;
  commentBefore?: string;
}

const unsupported = (): never => {
  throw new Unsupported();
};

interface ScalarTag {
  default?: boolean | 'key';
  test?: RegExp;
  format?: string;
  resolve(value: string, onError: (msg: string) => void, options: unknown): unknown;
}

// line kinds
const BLANK = 0;
const COMMENT = 1;
const CONTENT = 2;

// a plain key: letters, digits and the punctuation label and annotation keys use, then `:` and a space or the end
const KEY = /^([\w./$][\w./$+=@~-]*):(?: +|$)/;
// a plain scalar's first character may not be an indicator; `-`, `?`, `:` only when a non-space follows
export const PLAIN_START = /^(?:[^\s\-?:,[\]{}#&*!|>'"%@`]|[-?:][^\s,[\]{}])/;
// a plain scalar in a flow collection: no flow indicators, `#` or `:`, up to the next `,` `]` `}` (trailing spaces excluded)
const FLOW_PLAIN = /^(?:[^\s\-?:,[\]{}#&*!|>'"%@`]|[-?][^\s,[\]{}#:])[^,[\]{}#:]*?(?= *[,\]}])/;
const OTHER_SPACE = /[\t\r\v\f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
const FLOW_KEY = /^[\w./$][\w./$+=@~-]*(?=:)/;

/**
 * Parses one document (a piece of a stream from splitDocuments) like
 * `parseDocument(text, options)`, or returns undefined when the text leaves
 * the subset this reader handles. Records line starts in `lineCounter`.
 */
export function fastParseDocument(text: string, options: Options, lineCounter?: LineCounter): Document | undefined {
  // tabs, CR and the characters JavaScript counts as white space but YAML does not
  if (OTHER_SPACE.test(text)) return undefined;
  try {
    const doc = new Reader(text, options).read();
    if (lineCounter) {
      lineCounter.addNewLine(0);
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    }
    return doc;
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

class Reader {
  private readonly starts: number[] = [];
  private readonly lines: string[];
  private readonly indents: number[] = [];
  private readonly kinds: number[] = [];
  /** Next line not yet consumed. */
  private pos = 0;
  private readonly doc: Document;
  private readonly tags: ScalarTag[];

  constructor(
    private readonly text: string,
    options: Options,
  ) {
    this.lines = text.split('\n');
    let start = 0;
    for (const line of this.lines) {
      this.starts.push(start);
      start += line.length + 1;
      const indent = line.search(/[^ ]/);
      this.indents.push(indent < 0 ? line.length : indent);
      this.kinds.push(indent < 0 ? BLANK : line[indent] === '#' ? COMMENT : CONTENT);
    }
    this.doc = new Document(undefined, options);
    this.tags = (this.doc.schema as unknown as { tags: ScalarTag[] }).tags;
  }

  read(): Document {
    const { lines, kinds, doc } = this;
    let i = 0;
    if (lines[0] === '---') {
      doc.directives!.docStart = true;
      i = 1;
    }
    const before: string[] = [];
    for (; i < lines.length && kinds[i] === COMMENT && this.indents[i] === 0; i++) before.push(this.commentText(i));
    if (i >= lines.length || kinds[i] !== CONTENT || this.indents[i] !== 0) unsupported();
    this.pos = i;
    const map = this.map(i, 0);
    if (before.length) {
      // after `---` the comment belongs to the contents; without it, to the first key (yaml's Composer)
      const target = doc.directives!.docStart ? map : (map.items[0]!.key as Scalar);
      target.commentBefore = before.join('\n');
    }
    // only blank lines may follow
    for (let j = this.pos; j < lines.length; j++) if (kinds[j] !== BLANK) unsupported();
    doc.contents = map;
    doc.range = [0, map.range![1], this.text.length];
    return doc;
  }

  private commentText(i: number): string {
    // yaml reads an empty comment as one space
    return this.lines[i]!.slice(this.indents[i]! + 1) || ' ';
  }

  /** The next content line at or after `i` (lines.length at the end). */
  private nextContent(i: number): number {
    while (i < this.lines.length && this.kinds[i] !== CONTENT) i++;
    return i;
  }

  /** Whether the line's text at `col` is a block sequence entry. */
  private isItem(i: number, col: number): boolean {
    const l = this.lines[i]!;
    return l[col] === '-' && (l.length === col + 1 || l[col + 1] === ' ');
  }

  /**
   * Consumes the blank and comment lines from `pos` to `next` as yaml's
   * Composer attaches them before a node: blank lines before the first comment
   * set spaceBefore; the comments (blank lines among and after them as empty
   * lines) make commentBefore.
   */
  private gap(next: number): Gap {
    const g: Gap = {};
    let i = this.pos;
    while (i < next && this.kinds[i] === BLANK) i++;
    if (i > this.pos) g.spaceBefore = true;
    if (i < next) {
      const parts: string[] = [];
      for (; i < next; i++) parts.push(this.kinds[i] === COMMENT ? this.commentText(i) : '');
      g.commentBefore = parts.join('\n');
    }
    this.pos = next;
    return g;
  }

  /**
   * At the end of a collection at column `col` (the next content line is less
   * indented): comment lines right after it at its column are its trailing
   * comment. Comments less indented stay for the parent; others (more
   * indented, or after a blank line) attach in ways not checked here.
   */
  private trailing(node: YAMLMap | YAMLSeq, col: number, next: number): void {
    // at the end of the document yaml gives comments to the innermost collection or the document
    if (next >= this.lines.length) return this.commentsAt(-1, next);
    const parts: string[] = [];
    let i = this.pos;
    for (; i < next && this.kinds[i] === COMMENT && this.indents[i] === col; i++) parts.push(this.commentText(i));
    // blank lines after them are part of the comment (as empty lines); then no other comment may follow
    if (parts.length) for (; i < next && this.kinds[i] === BLANK; i++) parts.push('');
    for (let j = i; j < next; j++) if (this.kinds[j] === COMMENT && (this.indents[j]! >= col || parts.length)) unsupported();
    if (parts.length) {
      node.comment = parts.join('\n');
      this.pos = i;
    }
  }

  /** Comment lines from `pos` to `next` must be at column `col` (where yaml's attachment was checked). */
  private commentsAt(col: number, next: number): void {
    for (let j = this.pos; j < next; j++) if (this.kinds[j] === COMMENT && this.indents[j] !== col) unsupported();
  }

  /** A block mapping whose first key is on line `i` at column `col`. */
  private map(i: number, col: number): YAMLMap {
    const map = new YAMLMap(this.doc.schema);
    const start = this.starts[i]! + col;
    const keys = new Set<unknown>();
    for (;;) {
      const line = this.lines[i]!;
      const m = KEY.exec(line.slice(col));
      if (!m) unsupported();
      const keyText = m![1]!;
      if (keyText.length > 1024) unsupported(); // yaml rejects longer implicit keys
      const keyStart = this.starts[i]! + col;
      const key = this.plain(keyText, keyStart, keyStart + keyText.length, true);
      if (keys.has(key.value)) unsupported();
      keys.add(key.value);
      if (map.items.length > 0) {
        this.commentsAt(col, i);
        Object.assign(key, this.gap(i));
      }
      const restCol = col + m![0].length;
      const value = this.value(i, restCol, col, true);
      map.items.push(new Pair(key, value));
      const next = this.nextContent(this.pos);
      if (next >= this.lines.length) {
        this.trailing(map, col, next);
        break;
      }
      const indent = this.indents[next]!;
      if (indent === col && !this.isItem(next, col)) {
        i = next;
        continue;
      }
      if (indent < col) {
        this.trailing(map, col, next);
        break;
      }
      unsupported();
    }
    map.range = [start, this.endOfConsumed(), this.endOfConsumed()];
    return map;
  }

  /** A block sequence whose first `-` is on line `i` at column `col`; `parentCol` is the column of the key it belongs to. */
  private seq(i: number, col: number, parentCol: number): YAMLSeq {
    const seq = new YAMLSeq(this.doc.schema);
    const start = this.starts[i]! + col;
    for (;;) {
      const line = this.lines[i]!;
      let itemCol = col + 1;
      while (line[itemCol] === ' ') itemCol++;
      if (itemCol >= line.length || itemCol === col + 1) unsupported(); // `-` alone, or `-x`
      const rest = line.slice(itemCol);
      if (rest[0] === '-' && (rest.length === 1 || rest[1] === ' ')) unsupported();
      this.commentsAt(col, i);
      const before = this.gap(i);
      const item = KEY.test(rest) ? this.map(i, itemCol) : this.value(i, itemCol, col, false);
      seq.items.push(Object.assign(item, before));
      const next = this.nextContent(this.pos);
      if (next >= this.lines.length) {
        this.trailing(seq, col, next);
        break;
      }
      const indent = this.indents[next]!;
      if (indent === col && this.isItem(next, col)) {
        i = next;
        continue;
      }
      if (indent < col || (indent === col && col === parentCol)) {
        // a sequence at its key's column ends on the next key: its comments are ambiguous
        if (col === parentCol) for (let j = this.pos; j < next; j++) if (this.kinds[j] === COMMENT) unsupported();
        this.trailing(seq, col, next);
        break;
      }
      unsupported();
    }
    seq.range = [start, this.endOfConsumed(), this.endOfConsumed()];
    return seq;
  }

  /** End offset of the last consumed line (after its newline). */
  private endOfConsumed(): number {
    let i = this.pos - 1;
    while (i > 0 && this.kinds[i] === BLANK) i--;
    return Math.min(this.starts[i]! + this.lines[i]!.length + 1, this.text.length);
  }

  /**
   * The value after `key: ` (or `- `) at column `col` of line `i`, or on the
   * lines below when nothing follows. `parentCol` is the column of the entry.
   */
  private value(i: number, col: number, parentCol: number, inMap: boolean): Scalar | YAMLMap | YAMLSeq {
    const line = this.lines[i]!;
    const at = this.starts[i]! + col;
    if (col >= line.length) {
      if (!inMap) unsupported();
      // a block collection below, or null
      const next = this.nextContent(i + 1);
      this.pos = i + 1;
      if (next < this.lines.length) {
        const indent = this.indents[next]!;
        if (indent > parentCol || (indent === parentCol && this.isItem(next, indent))) {
          this.commentsAt(indent, next);
          const before = this.gap(next);
          const node = this.isItem(next, indent) ? this.seq(next, indent, parentCol) : this.map(next, indent);
          return Object.assign(node, before);
        }
      }
      // an empty value: yaml gives it the comments and blank lines that follow (not handled here)
      if (next > i + 1) unsupported();
      const s = new Scalar(null);
      s.range = [at, at, at];
      s.source = '';
      s.type = 'PLAIN';
      return s;
    }
    this.pos = i + 1;
    const c = line[col]!;
    if (c === '|') return this.literal(i, col, parentCol);
    let node: Scalar | YAMLMap | YAMLSeq;
    let end: number;
    if (c === '"' || c === "'") {
      const close = quotedEnd(line, col);
      node = this.scalar(unquote(line.slice(col, close)), at, this.starts[i]! + close, c === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE');
      end = close;
    } else if (c === '[' || c === '{') {
      const r = this.flow(line, col, at);
      node = r.node;
      end = r.end;
    } else {
      if (!PLAIN_START.test(line.slice(col))) unsupported();
      const hash = line.indexOf(' #', col);
      end = hash < 0 ? line.length : hash;
      while (line[end - 1] === ' ') end--;
      const text = line.slice(col, end);
      if (text.includes(': ') || text.endsWith(':')) unsupported();
      node = this.plain(text, at, at + text.length, false);
    }
    const comment = lineComment(line, end);
    if (comment !== undefined) node.comment = comment;
    const lineEnd = Math.min(this.starts[i]! + line.length + 1, this.text.length);
    node.range = [node.range![0], node.range![1], lineEnd];
    return node;
  }

  /** A `|` or `|-` block scalar whose header is at column `col` of line `i`. */
  private literal(i: number, col: number, parentCol: number): Scalar {
    const header = this.lines[i]!.slice(col);
    if (header !== '|' && header !== '|-') unsupported();
    const { lines } = this;
    let first = i + 1;
    while (first < lines.length && this.kinds[first] === BLANK) {
      if (lines[first]!.length > 0) unsupported(); // spaces-only leading lines: indentation rules not handled
      first++;
    }
    if (first >= lines.length) unsupported();
    const indent = this.indents[first]!;
    if (indent <= parentCol) unsupported();
    let last = first;
    let j = first;
    for (; j < lines.length; j++) {
      if (this.kinds[j] === BLANK) continue;
      if (this.indents[j]! < indent) break;
      last = j;
    }
    if (last + 1 < lines.length && this.kinds[last + 1] === BLANK) unsupported(); // trailing blank lines: chomping details
    const body: string[] = [];
    for (let k = i + 1; k <= last; k++) body.push(lines[k]!.slice(indent));
    let value = body.join('\n');
    if (header === '|') value += '\n';
    this.pos = last + 1;
    const s = new Scalar(value);
    const at = this.starts[i]! + col;
    const end = Math.min(this.starts[last]! + lines[last]!.length + 1, this.text.length);
    s.range = [at, end, end];
    s.source = value;
    s.type = 'BLOCK_LITERAL';
    return s;
  }

  /** A flow sequence or flow mapping of scalars, on one line. */
  private flow(line: string, col: number, at: number): { node: YAMLMap | YAMLSeq; end: number } {
    const base = at - col;
    const isMap = line[col] === '{';
    const node = isMap ? new YAMLMap(this.doc.schema) : new YAMLSeq(this.doc.schema);
    node.flow = true;
    const close = isMap ? '}' : ']';
    let p = col + 1;
    const skip = (): void => {
      while (line[p] === ' ') p++;
    };
    const scalar = (key: boolean): Scalar => {
      skip();
      const c = line[p];
      let item: Scalar;
      if (c === '"' || c === "'") {
        const end = quotedEnd(line, p);
        item = this.scalar(unquote(line.slice(p, end)), base + p, base + end, c === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE');
        p = end;
      } else {
        const m = (key ? FLOW_KEY : FLOW_PLAIN).exec(line.slice(p));
        if (!m) unsupported();
        const text = m![0];
        item = this.plain(text, base + p, base + p + text.length, key);
        p += text.length;
      }
      skip();
      return item;
    };
    skip();
    if (line[p] !== close) {
      for (;;) {
        if (isMap) {
          const key = scalar(true);
          if (line[p] !== ':' || line[p + 1] !== ' ') unsupported();
          if ((node as YAMLMap).items.some((pair) => (pair.key as Scalar).value === key.value)) unsupported(); // yaml reports it
          p++;
          (node as YAMLMap).items.push(new Pair(key, scalar(false)));
        } else (node as YAMLSeq).items.push(scalar(false));
        if (line[p] === ',') {
          p++;
          skip();
          if (line[p] === close) unsupported(); // a trailing comma
          continue;
        }
        if (line[p] === close) break;
        unsupported();
      }
    }
    node.range = [at, base + p + 1, base + p + 1];
    return { node, end: p + 1 };
  }

  /** A plain scalar, resolved by the document's schema like yaml's composer does. */
  private plain(text: string, start: number, end: number, atKey: boolean): Scalar {
    const tag = this.tags.find((t) => (t.default === true || (atKey && t.default === 'key')) && t.test?.test(text));
    let s: Scalar;
    if (tag) {
      let failed = false;
      const res = tag.resolve(text, () => (failed = true), this.doc.options);
      if (failed) unsupported();
      s = isScalar(res) ? res : new Scalar(res);
      if (tag.format) s.format = tag.format;
    } else s = new Scalar(text);
    s.range = [start, end, end];
    s.source = text;
    s.type = 'PLAIN';
    return s;
  }

  private scalar(value: string, start: number, end: number, type: Scalar.Type): Scalar {
    const s = new Scalar(value);
    s.range = [start, end, end];
    s.source = value;
    s.type = type;
    return s;
  }
}

/** Index after the closing quote of the quoted scalar at `col` (single line, no escapes), or unsupported. */
function quotedEnd(line: string, col: number): number {
  const q = line[col];
  for (let p = col + 1; p < line.length; p++) {
    const c = line[p];
    if (q === '"' && c === '\\') unsupported();
    if (c === q) {
      if (q === "'" && line[p + 1] === "'") {
        p++;
        continue;
      }
      return p + 1;
    }
  }
  return unsupported();
}

function unquote(s: string): string {
  const inner = s.slice(1, -1);
  return s[0] === "'" ? inner.replaceAll("''", "'") : inner;
}

/** The comment after a value that ends at `end` (spaces, then `#`), undefined when the line ends; anything else is unsupported. */
function lineComment(line: string, end: number): string | undefined {
  let p = end;
  while (line[p] === ' ') p++;
  if (p >= line.length) return undefined;
  if (line[p] !== '#' || p === end) unsupported();
  return line.slice(p + 1) || ' ';
}

/**
 * Where two parsed trees differ (a path and what differs), or undefined when
 * they are the same for everything the pipeline reads or prints: classes,
 * values, scalar styles and formats, comments, blank lines, flow style,
 * anchors, tags and start offsets.
 */
export function sameTree(a: unknown, b: unknown, path = '$'): string | undefined {
  if (a instanceof Document || b instanceof Document) {
    const da = a as Document;
    const db = b as Document;
    if (!(a instanceof Document) || !(b instanceof Document)) return `${path}: not both documents`;
    for (const k of ['commentBefore', 'comment'] as const) if ((da[k] ?? null) !== (db[k] ?? null)) return `${path}.${k}: ${JSON.stringify(da[k])} vs ${JSON.stringify(db[k])}`;
    if (Boolean(da.directives?.docStart) !== Boolean(db.directives?.docStart)) return `${path}: docStart`;
    return sameTree(da.contents, db.contents, path);
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  if (a.constructor !== b.constructor) return `${path}: ${a.constructor.name} vs ${b.constructor.name}`;
  if (isPair(a) && isPair(b)) return sameTree(a.key, b.key, `${path}.key`) ?? sameTree(a.value, b.value, `${path}.value`);
  const na = a as Record<string, unknown>;
  const nb = b as Record<string, unknown>;
  for (const k of ['comment', 'commentBefore', 'anchor', 'tag', 'type', 'format', 'minFractionDigits', 'source']) {
    if ((na[k] ?? undefined) !== (nb[k] ?? undefined)) return `${path}.${k}: ${JSON.stringify(na[k])} vs ${JSON.stringify(nb[k])}`;
  }
  if (Boolean(na.spaceBefore) !== Boolean(nb.spaceBefore)) return `${path}.spaceBefore: ${String(na.spaceBefore)} vs ${String(nb.spaceBefore)}`;
  if (Boolean(na.flow) !== Boolean(nb.flow)) return `${path}.flow`;
  const ra = na.range as number[] | undefined;
  const rb = nb.range as number[] | undefined;
  if (ra?.[0] !== rb?.[0]) return `${path}.range[0]: ${ra?.[0]} vs ${rb?.[0]}`;
  if (isScalar(a)) {
    if (ra?.[1] !== rb?.[1]) return `${path}.range[1]: ${ra?.[1]} vs ${rb?.[1]}`;
    const va = (a as Scalar).value;
    const vb = (b as Scalar).value;
    return va === vb || (Number.isNaN(va) && Number.isNaN(vb)) ? undefined : `${path}: value ${JSON.stringify(va)} vs ${JSON.stringify(vb)}`;
  }
  if (isMap(a) || isSeq(a)) {
    const ia = (a as YAMLMap | YAMLSeq).items as unknown[];
    const ib = (b as YAMLMap | YAMLSeq).items as unknown[];
    if (ia.length !== ib.length) return `${path}: ${ia.length} vs ${ib.length} items`;
    for (let i = 0; i < ia.length; i++) {
      const d = sameTree(ia[i], ib[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  return `${path}: unexpected node`;
}
