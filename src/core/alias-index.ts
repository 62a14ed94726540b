/**
 * Alias resolution in linear time. yaml's `Alias.resolve(doc)` walks the whole
 * document to find the anchor on every call, so resolving one alias per
 * service of a Compose file (`<<: *common` in 4,000 services) is quadratic.
 * Here the document is walked once, in order, and every alias is mapped to the
 * anchor it refers to (the last one of that name before it, as yaml does). An
 * alias added after the index was built (an edit) triggers one rebuild.
 */
import { isAlias, isMap, isPair, isSeq, type Alias, type Document, type Node } from 'yaml';

const indexes = new WeakMap<Document, Map<Alias, Node | undefined>>();

function build(doc: Document): Map<Alias, Node | undefined> {
  const index = new Map<Alias, Node | undefined>();
  const anchors = new Map<string, Node>();
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || node === undefined || typeof node !== 'object') continue;
    if (isAlias(node)) {
      index.set(node, anchors.get(node.source));
      continue;
    }
    const anchor = (node as { anchor?: unknown }).anchor;
    if (typeof anchor === 'string') anchors.set(anchor, node as Node);
    // children pushed in reverse: popped in document order
    if (isMap(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    } else if (isPair(node)) stack.push(node.value, node.key);
  }
  indexes.set(doc, index);
  return index;
}

/** The node an alias refers to (undefined when its anchor does not exist before it). */
export function resolveAlias(doc: Document, alias: Alias): Node | undefined {
  let index = indexes.get(doc) ?? build(doc);
  if (!index.has(alias)) index = build(doc);
  return index.has(alias) ? index.get(alias) : (alias.resolve(doc) as Node | undefined);
}
