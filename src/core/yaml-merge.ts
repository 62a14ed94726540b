/**
 * YAML merge keys (`<<: *anchor`) and aliases, read the way Compose and
 * kubectl read them (both resolve merge keys), for the appliers that must edit
 * a node whose value comes from elsewhere: the effective value of a key, a
 * service's own editable copy of it, a detached (alias-free, merged) copy of
 * a node, and which anchors other parts of the document reuse.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, Scalar, visit, YAMLMap, YAMLSeq, type Document, type Node } from 'yaml';
import { keyOf, newNode, setAfter } from './yaml-nodes.js';
import { resolveAlias } from './alias-index.js';

/** The node a reader (Compose, kubectl) sees for `key`: the service's own value, else one from its merge keys (aliases resolved). */
export function effective(doc: Document, map: YAMLMap, key: string, depth = 0): Node | undefined {
  if (depth > 20) return undefined;
  for (const p of map.items) {
    if (keyOf(p.key) === key) return resolve(doc, p.value);
  }
  for (const p of map.items) {
    if (!isMergeKey(p.key)) continue;
    const v = resolve(doc, p.value);
    const sources = isSeq(v) ? v.items.map((i) => resolve(doc, i)) : [v];
    for (const s of sources) {
      if (!isMap(s)) continue;
      const found = effective(doc, s, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** Whether a merge key of the service gives `key` a value (deleting the service's own one would bring it back). */
export function effectiveElsewhere(doc: Document, map: YAMLMap, key: string): boolean {
  const merged = map.items.filter((p) => isMergeKey(p.key));
  return effective(doc, { items: merged } as YAMLMap, key) !== undefined;
}

export function resolve(doc: Document, v: unknown): Node | undefined {
  let n = v;
  for (let i = 0; i < 20 && isAlias(n); i++) n = resolveAlias(doc, n); // linear: yaml's resolve walks the document
  return isMap(n) || isSeq(n) || isScalar(n) ? n : undefined;
}

/**
 * The service's own node for `key`, ready to edit: an alias or a value that
 * comes from a merge key is replaced by a detached copy set on the service.
 */
export function own(doc: Document, main: YAMLMap, key: string): Node | undefined {
  const direct = main.items.find((p) => keyOf(p.key) === key);
  if (direct && !isAlias(direct.value)) return (direct.value as Node | null) ?? undefined;
  const eff = effective(doc, main, key);
  if (!eff) return undefined;
  const copy = detached(doc, eff);
  if (direct) direct.value = copy;
  else setAfter(doc, main, key, copy);
  return copy;
}

/** A deep copy of a node with aliases replaced by copies of their targets, maps with merge keys merged, and anchors removed. */
export function detached(doc: Document, node: Node): Node {
  // a map with a merge key is written out merged
  if (isMap(node) && node.items.some((p) => isMergeKey(p.key))) return newNode(doc, toValue(doc, node), node.flow ?? false);
  const copy = node.clone() as Node;
  const strip = (n: Node): Node => {
    visit(n, {
      Alias(_, a) {
        const target = resolve(doc, a);
        return target ? strip(target.clone() as Node) : new Scalar(null);
      },
      Map(_, m) {
        // a map inside with a merge key of its own (`- <<: {name: POSTGRES_PASSWORD}` in env) is written out merged too
        if (m.items.some((p) => isMergeKey(p.key))) {
          const flat = newNode(doc, toValue(doc, m), m.flow ?? false) as YAMLMap;
          // (a document read without merge keys keeps `<<` as a plain key: nothing to merge, and no endless visit)
          if (!flat.items.some((p) => isMergeKey(p.key))) return flat;
        }
        if (m.anchor) delete m.anchor;
        return undefined;
      },
      // (yaml's visit calls no `Node` visitor: every kind of node is named)
      Seq(_, x) {
        if (x.anchor) delete x.anchor;
      },
      Scalar(_, x) {
        if (x.anchor) delete x.anchor;
      },
    });
    if ('anchor' in n && n.anchor) delete (n as { anchor?: string }).anchor;
    return n;
  };
  if (isAlias(copy)) {
    const target = resolve(doc, copy);
    return target ? strip(target.clone() as Node) : new Scalar(null);
  }
  return strip(copy);
}

/**
 * What yaml's `node.toJS(doc, { maxAliasCount: -1 })` gives (aliases
 * resolved, merge keys merged as yaml merges them, keys as strings), in time
 * linear in the nodes read. yaml's toJS resolves each alias by scanning every
 * anchor and alias before it, and each call starts by walking the whole
 * document: one `<<: *common` per service of a 100,000-service Compose file
 * was quadratic. An anchored node is read once and its value shared, as toJS
 * shares it. A tagged collection (!!set, !!omap) is left to yaml's toJS.
 * Throws as toJS does on an alias without an anchor or a merge source that is
 * not a map; `missing: 'null'` reads an alias without an anchor as null (a
 * part of a document, whose anchors may be elsewhere).
 */
export function toValue(doc: Document, node: unknown, missing: 'throw' | 'null' = 'throw'): unknown {
  const done = new Map<unknown, unknown>();
  const read = (n: unknown): unknown => {
    if (isAlias(n)) {
      const target = resolveAlias(doc, n);
      if (!target) {
        if (missing === 'null') return null;
        throw new ReferenceError(`Unresolved alias (the anchor must be set before the alias): ${n.source}`);
      }
      return read(target);
    }
    if (n === null || n === undefined) return null;
    if (done.has(n)) return done.get(n);
    const anchored = typeof (n as { anchor?: unknown }).anchor === 'string';
    if (isScalar(n)) return typeof n.value === 'bigint' ? Number(n.value) : n.value;
    if (isMap(n) && n.constructor === YAMLMap) {
      const out: Record<string, unknown> = {};
      if (anchored) done.set(n, out);
      for (const p of n.items) {
        if (isMergeKey(p.key)) {
          mergeInto(out, p.value);
          continue;
        }
        const key = keyText(read(p.key));
        const value = read(p.value);
        if (key === '__proto__') Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
        else out[key] = value;
      }
      return out;
    }
    if (isSeq(n) && n.constructor === YAMLSeq) {
      const out: unknown[] = [];
      if (anchored) done.set(n, out);
      for (const item of n.items) out.push(read(item));
      return out;
    }
    const value = (n as Node).toJS(doc, { maxAliasCount: -1 });
    if (anchored) done.set(n, value);
    return value;
  };
  // a merge source's keys that the map does not have yet (its own keys, before or after the `<<`, win)
  const mergeInto = (out: Record<string, unknown>, value: unknown): void => {
    const v = isAlias(value) ? resolveAlias(doc, value) : value;
    for (const source of isSeq(v) ? v.items : [value]) {
      const m = isAlias(source) ? resolveAlias(doc, source) : source;
      if (m === undefined && missing === 'null') continue;
      if (!isMap(m)) throw new Error('Merge sources must be maps or map aliases');
      const from = read(m) as Record<string, unknown>;
      for (const key of Object.keys(from)) {
        if (!Object.prototype.hasOwnProperty.call(out, key)) {
          Object.defineProperty(out, key, { value: from[key], writable: true, enumerable: true, configurable: true });
        }
      }
    }
  };
  return read(node);
}

/** A key as toJS writes it on an object: null as '', a collection as JSON. */
function keyText(k: unknown): string {
  if (k === null || k === undefined) return '';
  return typeof k === 'object' ? JSON.stringify(k) : String(k);
}

export function referencedAnchors(doc: Document): Set<string> {
  const names = new Set<string>();
  visit(doc, {
    Alias(_, a) {
      names.add(a.source);
    },
  });
  return names;
}

/** Describes why a service cannot be edited in place: it, or a value we edit, is an anchor used elsewhere. */
export function sharedAnchor(node: unknown, referenced: Set<string>, editedKeys: readonly string[]): string | undefined {
  if (!isMap(node)) return undefined;
  if (node.anchor && referenced.has(node.anchor)) return `&${node.anchor}`;
  for (const p of node.items) {
    const k = keyOf(p.key);
    if (typeof k !== 'string' || !editedKeys.includes(k)) continue;
    const v = p.value as Node | null;
    if (v && !isAlias(v) && 'anchor' in v && v.anchor && referenced.has(v.anchor)) return `${k}: &${v.anchor}`;
  }
  return undefined;
}

/** A `<<` merge key (the yaml library reads it as a Symbol when merge keys are on). */
export function isMergeKey(k: unknown): boolean {
  if (!isScalar(k)) return false;
  return k.value === '<<' || (typeof k.value === 'symbol' && k.value.description === '<<');
}

/** True when the node, or anything inside it, is an alias or has a merge key (kubectl resolves both). */
export function usesMergeOrAlias(node: unknown): boolean {
  // a direct walk (yaml's visit costs more than the question)
  if (isAlias(node)) return true;
  if (isPair(node)) return isMergeKey(node.key) || usesMergeOrAlias(node.key) || usesMergeOrAlias(node.value);
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items) if (usesMergeOrAlias(item)) return true;
  }
  return false;
}
