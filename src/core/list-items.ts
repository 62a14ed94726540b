/**
 * The items of a `kind: List` (or `*List`, and a KRM ResourceList) cut out of
 * the text, so that each item is transformed as a document of its own: parsing
 * a 20 MB List as one YAML document holds its whole tree (and `yaml`'s tokens)
 * at once, ~1.3 GB; item by item, memory is one item's tree.
 *
 * Only a simple, common shape is cut, and anything else gets `undefined` (the
 * caller then parses the whole document, as before):
 *
 *   [comments, `---`]            the head: copied as written
 *   apiVersion: v1               keys with one-line plain or quoted values (nested ones indented)
 *   kind: List
 *   items:                       `items:` at column 0, nothing after it but a comment
 *   - apiVersion: apps/v1        every item starts with `- key:` (or `-` and a comment) at one column
 *     kind: Deployment           and its lines are indented at least like its first key
 *     …
 *   - …
 *   metadata: {}                 the tail: from a top-level key on, anything (copied as written)
 *
 * Refused: carriage returns, tabs or other white space than spaces at the
 * start of a line, what may be an alias anywhere (it may refer to an anchor in
 * another item), an item that is not a block mapping (a scalar, a flow
 * collection, `- - x`, an empty `-`), a line inside an item indented less than
 * the item's keys (other than a comment or a blank line) or a `---` / `...`
 * line at their column, a head line other than the above (a directive, a block
 * scalar). The callers also parse the head and tail together (items removed)
 * and take only a mapping with no error whose `items` is empty, and they parse
 * the whole document instead as soon as an item, read on its own, has a YAML
 * error or warning (so that errors are reported as before).
 */
import { isMap, isScalar } from 'yaml';
import { parseYaml } from '../shared/yaml-parse.js';
import type { Diagnostic } from '../shared/diagnostics.js';
import { nestingProblem } from '../shared/limits.js';

export interface ListItem {
  /** The item's exact text, from its `- ` line to the line before the next item (comments and blank lines after it included). */
  text: string;
  /** 0-based line of the item's first line in the document. */
  line: number;
  /** Column of the item's `-`. */
  dashColumn: number;
  /** Column of the item's keys. */
  indent: number;
  /** The item as a document of its own: `- ` and `indent` columns removed from every line (as many lines as `text`); made on demand. */
  standalone(): string;
}

export interface ListCut {
  /** The text up to and including the `items:` line. */
  head: string;
  items: ListItem[];
  /** The text after the last item (top-level keys, comments), possibly empty. */
  tail: string;
}

/** A one-line value: plain (no `: `, `#`, quotes or flow indicators in it), quoted, `{}` or `[]`. */
const VALUE = String.raw`(?:[A-Za-z0-9_.\/-](?:[^#:'"{}[\]]|:(?=[^\s]))*?|"[^"\\]*"|'[^']*'|\{\}|\[\])`;
/** A key line of the head or tail: a plain key at any indentation, with a one-line value or none (a block value follows). */
const HEAD_LINE = new RegExp(String.raw`^( *)[A-Za-z_][\w.\/-]*:(?:[ ]+${VALUE})?[ ]*(?:[ ]#.*)?$`);
/** The first line after the items: a top-level plain key, not a second `items`. */
const TAIL_START = /^(?!items:)[A-Za-z_][\w.\/-]*:(?:[ ]|$)/;
/** A mapping key at the start of an item's content: a plain or quoted key. */
const ITEM_KEY = /^(?:[A-Za-z_][\w.\/-]*|"[\w.\/-]+"|'[\w.\/-]+'):(?:[ ]|$)/;
/**
 * What could be an alias (`*name` as a value, an item, a key or a flow entry):
 * an alias may refer to an anchor in another item, so the cut is not attempted
 * (a block scalar line that starts with `*x` is taken for one too: the whole
 * document is then parsed, as before). Anchors and tags alone mean the same in
 * an item read on its own.
 */
const ALIAS = /(?:^[ ]*(?:[-?][ ]+)*|:[ ]+|[[{,][ ]*)\*[^\s,[\]{}]/m;

/** Whether the document's top-level `kind` ends with `List` (read from the text, at column 0). */
const LIST_KIND = /^kind:[ ]*(["']?)[A-Za-z0-9_.-]*List\1[ ]*(?:#.*)?$/m;

const blankOrComment = (l: string): boolean => {
  const t = l.trimStart();
  return t === '' || t.startsWith('#');
};

/**
 * Cuts a List document into head, items and tail; undefined when the text is
 * not in the simple shape described above.
 */
export function cutListItems(text: string): ListCut | undefined {
  if (!LIST_KIND.test(text) || text.includes('\r') || /^ *[^\S \n]/m.test(text) || ALIAS.test(text)) return undefined;
  const lines = new LineIndex(text); // no array of 600,000 strings for a 20 MB List
  // the head: up to the `items:` line at column 0
  const start = firstContent(lines);
  let i = 0;
  for (; i < lines.length; i++) {
    const l = lines.at(i);
    if (blankOrComment(l)) continue;
    if (i === start && /^---(?: +#.*)?$/.test(l)) continue;
    if (/^items:[ ]*(?:[ ]#.*)?$/.test(l)) break;
    if (!HEAD_LINE.test(l) && !(l.startsWith(' ') && TAIL_START.test(l.trimStart()))) return undefined;
  }
  if (i >= lines.length) return undefined;
  // the first item's dash column
  let j = i + 1;
  while (j < lines.length && blankOrComment(lines.at(j))) j++;
  if (j >= lines.length) return undefined;
  const dash = lines.at(j).length - lines.at(j).trimStart().length;
  if (!lines.at(j).startsWith('-', dash)) return undefined;
  // the items: a line at the dash column starting with `-` starts one; deeper lines, blanks and comments continue it
  const starts: number[] = [];
  let k = j;
  for (; k < lines.length; k++) {
    const l = lines.at(k);
    if (blankOrComment(l)) continue;
    const lead = l.length - l.trimStart().length;
    if (lead > dash) continue;
    if (lead === dash && l.startsWith('-', dash)) {
      starts.push(k);
      continue;
    }
    break; // the sequence ended
  }
  // the tail starts after the last item's last content line (comments and blank lines after it go with the tail)
  let end = k;
  while (end > starts[starts.length - 1]! + 1 && blankOrComment(lines.at(end - 1))) end--;
  if (k === lines.length) end = lines.length;
  // the tail: a top-level key first (then anything: the caller parses head and tail together, with no error)
  if (k < lines.length && !TAIL_START.test(lines.at(k))) return undefined;
  const at = (line: number): number => lines.offset(line);
  const items: ListItem[] = [];
  for (let n = 0; n < starts.length; n++) {
    const from = starts[n]!;
    const to = n + 1 < starts.length ? starts[n + 1]! : end;
    const indent = itemIndent(lines, from, to, dash);
    if (indent === undefined) return undefined;
    if (!dedentable(lines, from, to, indent)) return undefined;
    const itemText = text.slice(at(from), at(to));
    items.push({ text: itemText, line: from, dashColumn: dash, indent, standalone: () => dedent(itemText, dash, indent) });
  }
  return { head: text.slice(0, at(j)), items, tail: text.slice(at(end)) };
}

function firstContent(lines: LineIndex): number {
  let n = 0;
  while (n < lines.length && blankOrComment(lines.at(n))) n++;
  return n;
}

/**
 * The column of an item's keys: after `- ` on its first line (`- key: …`), or the
 * indentation of its first content line when the first line holds only `-` and
 * a comment. Undefined when the item does not start as a block mapping.
 */
function itemIndent(lines: LineIndex, from: number, to: number, dash: number): number | undefined {
  const first = lines.at(from);
  const after = first.slice(dash + 1);
  const spaces = /^ */.exec(after)![0].length;
  const rest = after.slice(spaces);
  if (spaces > 0 && ITEM_KEY.test(rest)) return dash + 1 + spaces;
  if (rest !== '' && !(spaces > 0 && rest.startsWith('#'))) return undefined; // `- - x`, `- {…}`, `- scalar`, `-x`
  for (let n = from + 1; n < to; n++) {
    const l = lines.at(n);
    if (blankOrComment(l)) continue;
    const lead = l.length - l.trimStart().length;
    return lead > dash && ITEM_KEY.test(l.slice(lead)) ? lead : undefined;
  }
  return undefined; // an empty item
}

/** Whether every content line of the item [from, to) is indented at least like its keys (comments and blank lines may be less), none a marker once de-indented. */
function dedentable(lines: LineIndex, from: number, to: number, indent: number): boolean {
  for (let n = from + 1; n < to; n++) {
    const l = lines.at(n);
    if (blankOrComment(l)) continue;
    const lead = l.length - l.trimStart().length;
    // less indented than the keys, or a line that would become a document marker (`---`, `...`) at column 0
    if (lead < indent || (lead === indent && /^(?:---|\.\.\.)(?:[ ]|$)/.test(l.slice(lead)))) return false;
  }
  return true;
}

/** The item's text without its `- ` and indentation (checked by dedentable): as many lines as the item. */
function dedent(text: string, dash: number, indent: number): string {
  const lines = text.split('\n');
  const last = lines.length - 1;
  return lines
    .map((l, n) => {
      if (n === 0) l = ' '.repeat(dash + 1) + l.slice(dash + 1);
      if (n === last && l === '') return l;
      const lead = l.length - l.trimStart().length;
      if (lead >= indent) return l.slice(indent);
      return l.trim() === '' ? '' : l.trimStart(); // a blank line, or a comment less indented than the keys
    })
    .join('\n');
}

/** Line starts of a text, and its lines on demand. */
class LineIndex {
  private readonly starts: Int32Array;
  readonly length: number;

  constructor(private readonly text: string) {
    let n = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
    this.starts = new Int32Array(n + 1);
    let line = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts[line++] = i + 1;
    this.starts[n] = text.length + 1;
    this.length = n;
  }

  /** Line n, without its newline. */
  at(n: number): string {
    return this.text.slice(this.starts[n]!, this.starts[n + 1]! - 1);
  }

  /** Offset of the start of line n (the text's length for n = length). */
  offset(n: number): number {
    return Math.min(this.starts[n]!, this.text.length);
  }
}

/** A standalone document printed back as the item: the first line behind `- ` at the dash column, the others indented. */
export function asItem(standalone: string, dashColumn: number, indent: number): string {
  const pad = ' '.repeat(indent);
  const out = standalone.split('\n').map((l) => (l === '' ? l : pad + l));
  out[0] = `${' '.repeat(dashColumn)}-${' '.repeat(indent - dashColumn - 1)}${out[0]!.slice(indent)}`;
  return out.join('\n');
}

/** What a List's item gives back: its new text when it changed, and its diagnostics (lines already in the stream, columns in the item as a document). */
export interface ItemResult {
  output?: string;
  diagnostics: Diagnostic[];
}

/**
 * Diagnostics that say the item as a document of its own was not read as the
 * whole List would read it (a YAML error, a warning, nesting, aliases, an
 * internal error): the whole document is parsed instead, so that they come out
 * exactly as before.
 */
/** Off: every List is parsed whole (the tests compare both paths). */
export const LIST_ITEMS = { enabled: true };

/** Characters of items between two collections of garbage (with `node --expose-gc`, as the command runs). */
const COLLECT_EVERY = 2 << 20;

export const WHOLE_DOCUMENT_CODES = new Set(['DI1001', 'DI1003', 'DI1004', 'DI1007', 'DI1011', 'DI9001']);

/**
 * Transforms a List document item by item (see cutListItems): `transformItem`
 * gets each item as a document and the 0-based line of its first line in the
 * stream. Returns undefined when the text is not in the simple shape, or when
 * an item must be read as part of the whole document: the caller then
 * transforms the whole document, as before. `output` is undefined when no item
 * changed; unchanged items, the head and the tail are copied as written.
 */
export function transformListItems(text: string, lineOffset: number, transformItem: (standalone: string, line: number) => ItemResult): ItemResult | undefined {
  if (!LIST_ITEMS.enabled) return undefined;
  const cut = cutListItems(text);
  // too deep: reported on the whole document, as before
  if (!cut || nestingProblem(text) || !skeletonIsList(cut.head + cut.tail)) return undefined;
  const diagnostics: Diagnostic[] = [];
  const outputs: (string | undefined)[] = [];
  let changed = false;
  let sinceCollect = 0;
  for (const item of cut.items) {
    const r = transformItem(item.standalone(), lineOffset + item.line);
    sinceCollect += item.text.length;
    if (sinceCollect > COLLECT_EVERY) {
      // each item leaves its parse tree behind: collect now so that memory stays flat (as ManifestStream does between windows)
      sinceCollect = 0;
      (globalThis as { gc?: () => void }).gc?.();
    }
    for (const d of r.diagnostics) {
      if (WHOLE_DOCUMENT_CODES.has(d.code)) return undefined;
      diagnostics.push(d.column !== undefined ? { ...d, column: d.column + item.indent } : d);
    }
    outputs.push(r.output === undefined ? undefined : asItem(r.output, item.dashColumn, item.indent));
    changed ||= r.output !== undefined;
  }
  if (!changed) return { diagnostics };
  const parts = [cut.head];
  cut.items.forEach((item, n) => parts.push(outputs[n] ?? item.text));
  parts.push(cut.tail);
  return { output: parts.join(''), diagnostics };
}

/** Whether the List without its items (head and tail) reads as a mapping whose kind ends with List and whose `items` is empty, with no error. */
function skeletonIsList(skeleton: string): boolean {
  const doc = parseYaml(skeleton, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length || doc.warnings.length || !isMap(doc.contents)) return false;
  const kind: unknown = doc.contents.get('kind');
  const items: unknown = doc.contents.get('items', true);
  return typeof kind === 'string' && kind.endsWith('List') && isScalar(items) && items.value === null;
}
