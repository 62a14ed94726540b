/**
 * The formatting rule (README "What changes in your files"), checked on texts:
 * in a changed document, every source line that lies inside a subtree the
 * split did not change appears verbatim in the output (comments, quoting,
 * indentation, trailing spaces, folded scalars, flow collections as written).
 *
 * Written from the rule, not from the renderer: the input and output documents
 * are parsed with yaml and walked side by side (map pairs by key, sequence
 * items by `name`, else by equality, else by position); a subtree whose data
 * and scalar texts are the same on both sides is "not changed", and its lines
 * (from its key or `-` to the end of its last line) must be in the output.
 * JSON input is printed by JSON.stringify and is left out.
 */
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import { splitDocuments } from '../src/core/stream.js';

export function untouchedTextViolations(input: string, output: string): string[] {
  if (!output || output === input || /^\s*[{[]/.test(input)) return [];
  const before = splitDocuments(input);
  const after = splitDocuments(output);
  if (before.length !== after.length) return [];
  const out: string[] = [];
  before.forEach((doc, i) => {
    const text = doc.text;
    const result = after[i]!.text;
    if (text === result) return;
    const a = parseDocument(text, { merge: true, uniqueKeys: false });
    const b = parseDocument(result, { merge: true, uniqueKeys: false });
    if (a.errors.length || b.errors.length) return;
    const check = (n: Node | Pair, path: string): void => {
      const lines = linesOf(text, n);
      if (lines !== undefined && !result.includes(lines)) {
        out.push(`document ${i} ${path}: not changed by the split, but these lines are not in the output as written:\n${lines}`);
      }
    };
    walk(text, result, a.contents, b.contents, '$', check);
  });
  return out;
}

function walk(src: string, dst: string, a: unknown, b: unknown, path: string, check: (n: Node | Pair, path: string) => void): void {
  if (isMap(a) && isMap(b) && !a.flow) {
    for (const p of a.items) {
      const k = keyText(src, p.key);
      if (k === undefined) continue;
      const q = b.items.find((x) => keyText(dst, x.key) === k);
      if (!q) continue;
      if (same(src, dst, p.value, q.value)) check(p, `${path}.${k}`);
      else walk(src, dst, p.value, q.value, `${path}.${k}`, check);
    }
  } else if (isSeq(a) && isSeq(b) && !a.flow) {
    const used = new Set<unknown>();
    a.items.forEach((it, i) => {
      const name = nameOf(it);
      let match: unknown;
      if (name !== undefined) match = b.items.find((x) => nameOf(x) === name);
      else {
        match = b.items.find((x) => !used.has(x) && nameOf(x) === undefined && same(src, dst, it, x));
        if (match === undefined && nameOf(b.items[i]) === undefined && !used.has(b.items[i])) match = b.items[i];
      }
      if (match === undefined) return;
      used.add(match);
      const at = `${path}[${name ?? i}]`;
      if (same(src, dst, it, match)) check(it as Node, at);
      else walk(src, dst, it, match, at, check);
    });
  }
}

/** Same data, anchors and the same text of every non-string scalar (YAML 1.1 readers see `0444`, `yes` as written). */
function same(src: string, dst: string, a: unknown, b: unknown): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  // an anchor the split dropped (its aliases now own copies) is a change of the text, not formatting
  if ((a as { anchor?: string }).anchor !== (b as { anchor?: string }).anchor) return false;
  if (isScalar(a)) {
    if (!isScalar(b)) return false;
    if (typeof a.value === 'string' || typeof b.value === 'string') return a.value === b.value;
    return !!a.range && !!b.range && src.slice(a.range[0], a.range[1]) === dst.slice(b.range[0], b.range[1]);
  }
  if (isAlias(a)) return isAlias(b) && a.source === b.source;
  if (isMap(a)) {
    return isMap(b) && a.items.length === b.items.length && a.items.every((p, i) => keyText(src, p.key) === keyText(dst, b.items[i]!.key) && same(src, dst, p.value, b.items[i]!.value));
  }
  if (isSeq(a)) return isSeq(b) && a.items.length === b.items.length && a.items.every((x, i) => same(src, dst, x, b.items[i]));
  return false;
}

function keyText(src: string, k: unknown): string | undefined {
  if (!isScalar(k)) return undefined;
  return typeof k.value === 'string' ? k.value : k.range ? src.slice(k.range[0], k.range[1]) : undefined;
}

function nameOf(it: unknown): string | undefined {
  if (!isMap(it)) return undefined;
  const v = it.get('name');
  return typeof v === 'string' ? v : undefined;
}

/** The source lines of a pair or an item: from its line start (when only indentation and `-` precede it) to the end of its last line. */
function linesOf(src: string, n: Node | Pair): string | undefined {
  const first = isPair(n) ? (n.key as Node) : n;
  if (!isNode(first) || !first.range) return undefined;
  let start = first.range[0];
  const ls = src.lastIndexOf('\n', start - 1) + 1;
  if (/^[ -]*$/.test(src.slice(ls, start))) start = ls;
  const end = lastEnd(isPair(n) ? (n.value ?? n.key) : n);
  if (end === undefined) return undefined;
  const nl = src[end - 1] === '\n' ? end - 1 : src.indexOf('\n', end);
  return src.slice(start, nl < 0 ? src.length : nl);
}

function lastEnd(n: unknown): number | undefined {
  if ((isMap(n) || isSeq(n)) && !n.flow && n.items.length) {
    const last = n.items[n.items.length - 1];
    return isPair(last) ? lastEnd(last.value ?? last.key) : lastEnd(last);
  }
  return isNode(n) && n.range ? n.range[1] : undefined;
}
