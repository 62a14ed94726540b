/**
 * A small renderer for the documents the pipeline changed, byte-identical to
 * `doc.toString({ lineWidth: 0, flowCollectionPadding: false, indentSeq })`
 * for the shapes Kubernetes manifests use. `yaml`'s stringifier is large and
 * runs cold in a one-shot CLI; this one is a few functions. It mirrors the
 * rules of yaml 2.x `dist/stringify/*` (written from reading them) and gives up
 * (returns undefined, so the caller falls back to yaml) on anything else:
 * anchors, aliases, tags, non-scalar or commented keys, folded or quoted
 * multi-line scalars, strings yaml would treat specially, multi-line flow
 * collections, directives, `...`.
 *
 * Precondition: preserveScalars() has run (failsafe schema, every scalar
 * value a string).
 */
import { isMap, isNode, isPair, isScalar, isSeq, YAMLMap, YAMLSeq, type Document, type Pair, type Scalar } from 'yaml';

/** Thrown to abandon the fast path. */
const BAIL = new Error('fast-render: not handled');

function bail(): never {
  throw BAIL;
}

/** What a child did that its parent must know (yaml's onComment / onChompKeep callbacks). */
interface Done {
  /** The node printed its own trailing comment (block scalar header, block collection footer). */
  comment: boolean;
  /** The node ends with a `|+` block scalar: the next blank line / comment gap is already in it. */
  keep: boolean;
}

const done = (): Done => ({ comment: false, keep: false });
/** For children whose flags the caller does not read (keys, flow items): saves an allocation per node. */
const IGNORED = done();

/** Renders the document, or undefined when it is not certain to match yaml's output. */
export function renderFast(doc: Document, indentSeq: boolean): string | undefined {
  try {
    return renderDocument(doc, indentSeq);
  } catch {
    return undefined; // BAIL, or a shape this code did not expect: yaml renders it
  }
}

let seqIndent = true; // the indentSeq option of the current call

function renderDocument(doc: Document, indentSeq: boolean): string {
  const dir = doc.directives;
  const schema = doc.schema;
  // only failsafe: it never quotes a plain string for looking like a number or boolean
  if (doc.errors.length || !dir || dir.yaml.explicit || dir.docEnd) bail();
  if (schema.name !== 'failsafe' || schema.compat || schema.toStringOptions) bail();
  const c = doc.contents;
  if (!isMap(c) && !isSeq(c)) bail();
  seqIndent = indentSeq;
  const lines: string[] = [];
  if (dir.docStart) lines.push('---');
  if (doc.commentBefore) {
    // a document comment is separated from the body by a blank line, unless `---` is between them
    if (lines.length !== 1) lines.unshift('');
    lines.unshift(indentComment(commentString(doc.commentBefore), ''));
  }
  if (c.spaceBefore && dir.docStart) lines.push('');
  if (c.commentBefore) lines.push(indentComment(commentString(c.commentBefore), ''));
  const d = done();
  let body = node(c, '', false, false, d);
  // yaml only listens for a keep-chomped ending when the contents have no comment of their own
  const keep = !c.comment && d.keep;
  const contentComment = d.comment ? null : c.comment;
  if (contentComment) body += lineComment(body, '', commentString(contentComment));
  lines.push(body);
  let dc = doc.comment;
  if (dc && keep) dc = dc.replace(/^\n+/, '');
  if (dc) {
    if ((!keep || contentComment) && lines[lines.length - 1] !== '') lines.push('');
    lines.push(indentComment(commentString(dc), ''));
  }
  return lines.join('\n') + '\n';
}

/** Any node at `indent` (the indentation of its continuation lines). */
function node(n: unknown, indent: string, inFlow: boolean, implicitKey: boolean, d: Done): string {
  if (isScalar(n)) return scalar(n, indent, inFlow, implicitKey, d);
  if (isMap(n) || isSeq(n)) {
    // subclasses (!!set, !!omap, !!pairs) have tags of their own, which failsafe cannot print
    if (implicitKey || n.anchor || n.tag || (n.constructor !== YAMLMap && n.constructor !== YAMLSeq)) bail();
    return inFlow || n.flow ? flowCollection(n) : blockCollection(n, indent, d);
  }
  return bail(); // aliases, raw JS values
}

// --- collections -------------------------------------------------------------------------------

function blockCollection(c: YAMLMap | YAMLSeq, indent: string, d: Done): string {
  const seq = isSeq(c);
  const itemIndent = seq ? indent + '  ' : indent;
  const lines: string[] = [];
  let keep = false; // the previous item ended with a keep-chomped block scalar
  const items = c.items as unknown[];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let comment: string | null | undefined = null;
    const id = done();
    let str: string;
    if (seq) {
      if (!isNode(item)) bail();
      if (!keep && item.spaceBefore) lines.push('');
      commentBefore(indent, lines, item.commentBefore, keep);
      comment = item.comment;
      str = node(item, itemIndent, false, false, id);
    } else {
      if (!isPair(item) || !isScalar(item.key)) bail();
      if (!keep && item.key.spaceBefore) lines.push('');
      commentBefore(indent, lines, item.key.commentBefore, keep);
      str = pair(item, itemIndent, false, id);
    }
    if (id.comment) comment = null;
    keep = id.keep;
    if (comment) {
      str += lineComment(str, itemIndent, commentString(comment));
      keep = false;
    }
    lines.push(seq ? '- ' + str : str);
  }
  let str: string;
  if (lines.length === 0) str = seq ? '[]' : '{}';
  else {
    str = lines[0]!;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      str += line ? `\n${indent}${line}` : '\n';
    }
  }
  if (c.comment) {
    // a block collection's own comment goes on the lines after it
    str += '\n' + indentComment(commentString(c.comment), indent);
    d.comment = true;
  } else if (keep) d.keep = true;
  return str;
}

/** A comment before an item: at the collection's indentation (its first line is indented by the caller's join). */
function commentBefore(indent: string, lines: string[], comment: string | null | undefined, keep: boolean): void {
  if (comment && keep) comment = comment.replace(/^\n+/, '');
  if (comment) lines.push(indentComment(commentString(comment), indent).trimStart());
}

/** A flow collection, only when yaml prints it on one line: `[a, b]`, `{a: b}` (no padding, lineWidth 0). */
function flowCollection(c: YAMLMap | YAMLSeq): string {
  const seq = isSeq(c);
  const parts: string[] = [];
  const items = c.items as unknown[];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    let s: string;
    if (seq) {
      // any comment or blank line inside makes yaml break the collection over lines
      if (!isNode(item) || item.spaceBefore || item.commentBefore || item.comment) bail();
      s = node(item, '', true, false, IGNORED);
    } else {
      if (!isPair(item) || !isScalar(item.key) || !isNode(item.value)) bail();
      const { key, value } = item;
      if (key.spaceBefore || key.commentBefore || value.spaceBefore || value.commentBefore || value.comment) bail();
      s = pair(item, '', true, IGNORED);
    }
    if (s.includes('\n')) bail();
    parts.push(s);
  }
  const str = parts.join(', '); // an empty first item still gets its comma: `[, a]`
  return seq ? `[${str}]` : `{${str}}`;
}

/** `key: value`; `indent` is the map's indentation. */
function pair(p: Pair, indent: string, inFlow: boolean, d: Done): string {
  const key = p.key;
  const value = p.value;
  // a commented key, a block-scalar key or a missing value turn into an explicit `? key` (not handled)
  if (!isScalar(key) || key.comment || !isNode(value)) bail();
  if (key.type === 'BLOCK_LITERAL' || key.type === 'BLOCK_FOLDED') bail();
  const ks = scalar(key, indent + '  ', inFlow, true, IGNORED);
  if (ks === '' || ks.length > 1024) bail(); // yaml makes keys over 1024 characters explicit
  let vIndent = indent + '  ';
  // with indentSeq false, a block sequence under a key counts its `- ` as indentation
  if (!seqIndent && !inFlow && isSeq(value) && !value.flow) vIndent = indent;
  const vd = done();
  const vs = node(value, vIndent, inFlow, false, vd);
  let ws = ' ';
  if (value.spaceBefore || value.commentBefore) {
    // e.g. `key: # comment` on a collection: the comment moves to its own line before the value
    ws = value.spaceBefore ? '\n' : '';
    if (value.commentBefore) ws += '\n' + indentComment(commentString(value.commentBefore), vIndent);
    if (vs === '' && !inFlow) {
      if (ws === '\n' && value.comment) ws = '\n\n';
    } else ws += '\n' + vIndent;
  } else if (isMap(value) || isSeq(value)) {
    // an empty collection without a flow flag prints as `{}` / `[]` on the key's line
    const flow = inFlow || (value.flow ?? value.items.length === 0);
    if (!flow || vs.includes('\n')) ws = '\n' + vIndent;
  } else if (vs === '' || vs[0] === '\n') ws = '';
  let str = `${ks}:${ws}${vs}`;
  if (inFlow) {
    if (vd.comment) d.comment = true;
  } else if (value.comment && !vd.comment) str += lineComment(str, vIndent, commentString(value.comment));
  else if (vd.keep) d.keep = true;
  return str;
}

// --- scalars -----------------------------------------------------------------------------------

/** Characters yaml always double-quotes and escapes (C0 except tab and newline, DEL, C1, lone surrogates). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/** yaml's test for a string that cannot be plain (its newline cases do not apply to one line). */
const NOT_PLAIN = /^[\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|:[ \t]|[\t ]#|[\t :]$/;

/**
 * The common case in one test: text that yaml prints plain as it is in block context (a word
 * first, no control or surrogate characters, no `: `, ` #`, double space or trailing `:`/space).
 */
export const SIMPLE = /^[\w/](?:[^\0-\x20\x7f-\x9f\ud800-\udfff:]|:(?! |$)| (?=[^\0-\x20#]))*$/;

function scalar(s: Scalar, indent: string, inFlow: boolean, implicitKey: boolean, d: Done): string {
  const v = s.value;
  if (typeof v !== 'string' || s.anchor || s.tag) bail();
  if ((s.type === 'PLAIN' || s.type === undefined) && !inFlow && SIMPLE.test(v)) return v;
  if (CONTROL.test(v)) bail();
  switch (s.type) {
    case 'QUOTE_DOUBLE':
      return doubleQuoted(v);
    case 'QUOTE_SINGLE':
      if (v.includes('\n')) bail(); // folded over lines by yaml
      return `'${v.replaceAll("'", "''")}'`;
    case 'BLOCK_LITERAL':
      return implicitKey || inFlow ? quoted(v) : literal(v, s.comment, indent, d);
    case 'BLOCK_FOLDED':
      return bail();
    default: {
      // PLAIN, or no type (a created node): plain unless yaml must quote it
      if (v.includes('\n')) {
        // yaml prints multi-line untyped strings as literal blocks (lineWidth 0 never folds)
        if (s.type === 'PLAIN' || implicitKey || inFlow) bail();
        return literal(v, s.comment, indent, d);
      }
      if ((inFlow && /[[\]{},]/.test(v)) || NOT_PLAIN.test(v)) return quoted(v);
      if (v.startsWith('---') || v.startsWith('...')) bail(); // document markers: yaml quotes or indents
      return v;
    }
  }
}

/** yaml's choice of quotes for a string that cannot be plain: single when it has `"` but no `'`, else double. */
function quoted(v: string): string {
  if (v.includes('"') && !v.includes("'")) {
    if (v.includes('\n')) bail();
    return `'${v}'`;
  }
  return doubleQuoted(v);
}

/**
 * Double-quoted text is JSON's (no control characters get here; tab stays `\t`). yaml keeps `\n`
 * escapes only in strings shorter than 40 characters (doubleQuotedMinMultiLineLength) and escapes
 * a space before a newline: anything else with a newline is not handled.
 */
function doubleQuoted(v: string): string {
  const json = JSON.stringify(v);
  if (v.includes('\n') && (json.length >= 40 || v.includes(' \n'))) bail();
  return json;
}

/** A literal block scalar: `|`, `|-`, `|+`; indentation indicator `2` when the text (after leading newlines) starts with a space. */
function literal(v: string, comment: string | null | undefined, indent: string, d: Done): string {
  // yaml quotes text ending in a line of blanks; the indicator digit below assumes a non-root indent
  if (indent === '' || /\n[\t ]+$/.test(v)) bail();
  let e = v.length;
  while (e > 0 && (v[e - 1] === '\n' || v[e - 1] === ' ' || v[e - 1] === '\t')) e--;
  if (e === 0) bail(); // only whitespace: yaml prints an odd empty block
  let body = v.slice(0, e);
  let end = v.slice(e);
  // chomping from the trailing whitespace: none -> strip, exactly one final newline -> clip, more -> keep
  const nl = end.indexOf('\n');
  let chomp = '';
  if (nl === -1) chomp = '-';
  else if (nl !== end.length - 1) {
    chomp = '+';
    d.keep = true;
  }
  if (end.endsWith('\n')) end = end.slice(0, -1);
  end = end.replace(/\n+(?!\n|$)/g, `$&${indent}`);
  // leading newlines stay before the first line; a leading space (after them) needs the indicator
  let startWithSpace = false;
  let lastNl = -1;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') lastNl = i;
    else break;
  }
  let start = '';
  if (lastNl >= 0) {
    start = body.slice(0, lastNl + 1).replace(/\n+/g, `$&${indent}`);
    body = body.slice(lastNl + 1);
  }
  let header = (startWithSpace ? '2' : '') + chomp;
  if (comment) {
    header += ' ' + commentString(comment.replace(/ ?[\r\n]+/g, ' '));
    d.comment = true;
  }
  return `|${header}\n${indent}${start}${body.replace(/\n+/g, `$&${indent}`)}${end}`;
}

// --- comments (yaml's stringifyComment.js rules) -----------------------------------------------

/** `#` before every non-empty line (a line of one space becomes a bare `#`). */
function commentString(c: string): string {
  return c.replace(/^(?!$)(?: $)?/gm, '#');
}

function indentComment(c: string, indent: string): string {
  if (/^\n+$/.test(c)) return c.substring(1);
  return indent ? c.replace(/^(?! *$)/gm, indent) : c;
}

/** A trailing comment after `str`: on the same line, or on the next lines when it has several. */
function lineComment(str: string, indent: string, c: string): string {
  if (str.endsWith('\n')) return indentComment(c, indent);
  if (c.includes('\n')) return '\n' + indentComment(c, indent);
  return (str.endsWith(' ') ? '' : ' ') + c;
}
