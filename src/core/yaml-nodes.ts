/**
 * Small helpers for editing `yaml` Document nodes in place, so that comments,
 * key order and quoting of everything we do not touch survive. New nodes are
 * written so that YAML 1.1 readers (kubectl, Go, PyYAML) read them as we mean:
 * strings that 1.1 would take for a boolean, number or null are quoted.
 */
import { isMap, isPair, isScalar, isSeq, Pair, parse, Scalar, visit, YAMLMap, YAMLSeq, type Document, type Node } from 'yaml';
import { PLAIN_START } from './fast-yaml.js';

/** Creates a node for a plain value, YAML 1.1-safe, flow if `flow`. */
export function newNode(doc: Document, value: unknown, flow = false): Node {
  // plain data (what the appliers write: strings, numbers, lists, maps) is built directly;
  // anything else (nodes inside, an object used twice: yaml makes an alias of it) by yaml
  return plainNode(doc.schema, value, flow, new Set()) ?? createdNode(doc, value, flow);
}

/** newNode by yaml's createNode and a visit: the path for anything but plain data, and the reference its direct path is tested against. */
export function createdNode(doc: Document, value: unknown, flow: boolean): Node {
  const node = doc.createNode(value) as Node;
  visit(node, {
    Scalar(_, s) {
      // multi-line text (an embedded init script) reads best as a literal block
      if (typeof s.value === 'string' && s.value.includes('\n') && !flow) s.type = Scalar.BLOCK_LITERAL;
      else if (typeof s.value === 'string' && needsQuotes(s.value)) s.type = Scalar.QUOTE_DOUBLE;
    },
    Map(_, m) {
      if (flow) m.flow = true;
    },
    Seq(_, q) {
      if (flow) q.flow = true;
    },
  });
  if (flow && (isMap(node) || isSeq(node))) node.flow = true;
  return node;
}

/**
 * What `doc.createNode(value)` and the visit in newNode make of plain data,
 * by constructors: yaml's createNode (tag lookup per value, alias bookkeeping)
 * and visit cost more than the edit they serve. Undefined when the value holds
 * anything but strings, numbers, booleans, null, arrays and plain objects, or
 * holds one object twice (test/manifests/new-node.test.ts compares the two).
 */
function plainNode(schema: Document['schema'], value: unknown, flow: boolean, seen: Set<object>): Node | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return new Scalar(value);
  if (typeof value === 'string') return stringScalar(value, flow);
  if (typeof value !== 'object' || seen.has(value)) return undefined;
  seen.add(value);
  if (Array.isArray(value)) {
    const seq = new YAMLSeq(schema);
    for (const item of value) {
      const node = plainNode(schema, item, flow, seen);
      if (!node) return undefined;
      seq.items.push(node);
    }
    if (flow) seq.flow = true;
    return seq;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  const map = new YAMLMap(schema);
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue; // createNode leaves undefined values out
    const node = plainNode(schema, v, flow, seen);
    if (!node) return undefined;
    map.items.push(new Pair(stringScalar(k, flow), node));
  }
  if (flow) map.flow = true;
  return map;
}

function stringScalar(s: string, flow: boolean): Scalar {
  const node = new Scalar(s);
  // multi-line text (an embedded init script) reads best as a literal block
  if (s.includes('\n') && !flow) node.type = Scalar.BLOCK_LITERAL;
  else if (needsQuotes(s)) node.type = Scalar.QUOTE_DOUBLE;
  return node;
}

const YAML11_SPECIAL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|~|)$/;

/** True when a plain scalar with this text would not read back as the same string in YAML 1.1 or 1.2. */
export function needsQuotes(s: string): boolean {
  if (YAML11_SPECIAL.test(s)) return true;
  // the common case (names, paths, image references, flags): letters first, no YAML indicator inside
  if (/^[A-Za-z/_][\w./@=+-]*$/.test(s)) return false;
  if (/^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?$/.test(s)) return true; // ints, floats, 1_000, 0755
  if (/^[-+]?0[xob][0-9a-fA-F_]+$/.test(s) || /^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/.test(s)) return true;
  if (/^[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s)) return true; // sexagesimal (1.1)
  if (/^\d{4}-\d\d?-\d\d?/.test(s)) return true; // timestamps
  // printable ASCII: a plain scalar reads back as itself unless it starts with an indicator,
  // holds `: ` or ` #`, ends with `:`, or has edge spaces (values were ruled out above)
  if (/^[\x20-\x7e]*$/.test(s)) return !PLAIN_START.test(s) || /: | #|:$|\s$/.test(s);
  // the rest (a template's multi-line script, once per split service): parsed, and remembered
  let known = parsedQuotes.get(s);
  if (known === undefined) {
    try {
      known = parse(s) !== s;
    } catch {
      known = true;
    }
    if (parsedQuotes.size >= 256) parsedQuotes.clear();
    parsedQuotes.set(s, known);
  }
  return known;
}

const parsedQuotes = new Map<string, boolean>();

/**
 * A deep copy of a node, like `node.clone()` (aliases are copied by it), but
 * built with plain constructors: yaml's generic clone is slow in a cold process.
 */
export function cloneNode<T>(node: T): T {
  if (isScalar(node)) {
    const copy = Object.assign(new Scalar(node.value), node);
    if (node.range) copy.range = [...node.range];
    return copy as T;
  }
  if (isMap(node) || isSeq(node)) {
    const copy = Object.assign(isMap(node) ? new YAMLMap(node.schema) : new YAMLSeq(node.schema), node);
    copy.items = node.items.map((it) => (isPair(it) ? Object.assign(new Pair(null), it, { key: cloneNode(it.key), value: cloneNode(it.value) }) : cloneNode(it))) as never;
    if (node.range) copy.range = [...node.range];
    return copy as T;
  }
  return node && typeof node === 'object' && 'clone' in node && typeof node.clone === 'function' ? (node.clone() as T) : node;
}

/** What plainToJS returns for a tree it leaves to yaml's toJS. */
export const NOT_PLAIN: unique symbol = Symbol('not plain');

/**
 * `node.toJS(doc)` for a tree of plain maps, sequences and scalars (what the
 * fast reader, the webhook's object builder and newNode make), by a direct
 * walk: yaml's generic toJS (a context, anchors, per-pair key handling) costs
 * more than the walk. NOT_PLAIN when the tree holds anything toJS treats
 * specially: an alias, a `<<` key, a key that is not a string, a tagged
 * collection (!!set, !!omap), a scalar that is not a string, number, boolean
 * or null (a bigint, a !!binary); the caller then uses toJS.
 */
export function plainToJS(node: unknown): unknown {
  if (isScalar(node)) {
    const v = node.value;
    return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : NOT_PLAIN;
  }
  if (node instanceof YAMLMap) {
    if (node.constructor !== YAMLMap) return NOT_PLAIN;
    const out: Record<string, unknown> = {};
    for (const p of node.items) {
      const k = p.key;
      if (!isScalar(k) || typeof k.value !== 'string' || k.value === '<<') return NOT_PLAIN;
      const v = p.value === null || p.value === undefined ? p.value : plainToJS(p.value);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      // as toJS: a key the object already has (through its prototype, like __proto__) is defined, not assigned
      if (k.value in out) Object.defineProperty(out, k.value, { value: v, writable: true, enumerable: true, configurable: true });
      else out[k.value] = v;
    }
    return out;
  }
  if (node instanceof YAMLSeq) {
    if (node.constructor !== YAMLSeq) return NOT_PLAIN;
    const out: unknown[] = [];
    for (const item of node.items) {
      const v = plainToJS(item);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out.push(v);
    }
    return out;
  }
  return NOT_PLAIN;
}

export function getMap(parent: unknown, key: string): YAMLMap | undefined {
  if (!isMap(parent)) return undefined;
  const v = parent.get(key, true);
  return isMap(v) ? v : undefined;
}

export function getSeq(parent: unknown, key: string): YAMLSeq | undefined {
  if (!isMap(parent)) return undefined;
  const v = parent.get(key, true);
  return isSeq(v) ? v : undefined;
}

export function getIn(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const k of path) {
    if (isMap(node) || isSeq(node)) node = (node as YAMLMap).get(k, true);
    else return undefined;
  }
  return node;
}

/** The map at `key`, created (after `after`, or at the end) when missing. */
export function ensureMap(doc: Document, parent: YAMLMap, key: string, after?: string): YAMLMap {
  const existing = getMap(parent, key);
  if (existing) return existing;
  const node = newNode(doc, {}, parent.flow ?? false) as YAMLMap;
  setAfter(doc, parent, key, node, after);
  return node;
}

export function ensureSeq(doc: Document, parent: YAMLMap, key: string, after?: string, before?: string): YAMLSeq {
  const existing = getSeq(parent, key);
  if (existing) return existing;
  const node = newNode(doc, [], parent.flow ?? false) as YAMLSeq;
  setAfter(doc, parent, key, node, after, before);
  return node;
}

/** Sets `key` in place if present; otherwise inserts it after `after` (or before `before`), else at the end. */
export function setAfter(doc: Document, map: YAMLMap, key: string, value: unknown, after?: string, before?: string): void {
  const node = isNodeLike(value) ? value : newNode(doc, value, map.flow ?? false);
  const idx = map.items.findIndex((p) => keyOf(p.key) === key);
  if (idx >= 0) {
    const pair = map.items[idx]!;
    const old = pair.value as Node | null;
    if (old && isNodeLike(old) && old.comment && isNodeLike(node) && !node.comment) node.comment = old.comment;
    pair.value = node;
    return;
  }
  const pair = doc.createPair(key, node);
  let at = map.items.length;
  const afterIndex = after === undefined ? -1 : map.items.findIndex((p) => keyOf(p.key) === after);
  const beforeIndex = before === undefined ? -1 : map.items.findIndex((p) => keyOf(p.key) === before);
  if (afterIndex >= 0) at = afterIndex + 1;
  else if (beforeIndex >= 0) at = beforeIndex;
  map.items.splice(at, 0, pair);
}

/** Sets a scalar value, keeping the existing scalar's comments (and its quoting when still safe). */
export function setScalar(doc: Document, map: YAMLMap, key: string, value: string | number | boolean, after?: string): void {
  const old = map.get(key, true);
  if (isScalar(old)) {
    if (old.value === value) return;
    old.value = value;
    // the source text no longer says this: render must not restore it (preserveScalars reads `range`)
    old.range = undefined;
    delete old.source;
    if (typeof value === 'string' && needsQuotes(value) && old.type !== Scalar.QUOTE_SINGLE) old.type = Scalar.QUOTE_DOUBLE;
    if (typeof value !== 'string') old.type = Scalar.PLAIN;
    return;
  }
  setAfter(doc, map, key, value, after);
}

export function deleteKey(map: YAMLMap, key: string): void {
  map.delete(key);
}

export function keyOf(k: unknown): unknown {
  return isScalar(k) ? k.value : k;
}

function isNodeLike(v: unknown): v is Node {
  return isMap(v) || isSeq(v) || isScalar(v);
}
