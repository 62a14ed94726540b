/**
 * Bounds on what a YAML text may make the tool do, checked before anything
 * recursive touches it: nesting depth (yaml's composer, `toJS`, our walks and
 * the renderers recurse once per level, so ~1,000 levels overflow the stack)
 * and alias expansion, bounded by the size the expanded value would have
 * rather than by counting aliases (yaml's `maxAliasCount` refuses 101 uses of
 * a one-key anchor, a common Compose `<<: *defaults` pattern, while a chain
 * of anchors that each alias the previous one twice passes far fewer checks
 * than its size). Every check here is linear in the text or the node count,
 * and iterative.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/**
 * Deepest nesting accepted (block indentation levels, `- ` items and flow
 * brackets counted together). Kubernetes objects nest a few dozen levels (a
 * CRD's openAPIV3Schema perhaps a hundred); the YAML library needs ~10 stack
 * frames per level.
 */
export const MAX_DEPTH = 256;

/** Most nodes an expanded document (every alias replaced by a copy of its anchor) may have, at least. */
export const MAX_EXPANDED_NODES = 2_000_000;

/** A document may expand to this many times its own nodes when that is more than MAX_EXPANDED_NODES. */
export const EXPANSION_FACTOR = 4;

/**
 * Why `text` nests deeper than `limit`, or undefined. A conservative scan,
 * one pass over the lines: it counts the indentation levels open at each line,
 * the `- ` / `? ` indicators that start it, and open flow brackets outside
 * quotes; block scalar bodies (`|`, `>`) are skipped.
 */
export function nestingProblem(text: string, limit = MAX_DEPTH): string | undefined {
  const indents: number[] = [];
  let flow = 0;
  let blockParent = -1; // inside a block scalar: the indentation of the line that opened it
  let line = 0;
  let quote = ''; // an open quote of a flow collection spanning lines
  for (let pos = 0; pos <= text.length; line++) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let i = pos;
    while (i < nl && text.charCodeAt(i) === 32) i++;
    const indent = i - pos;
    const first = text[i];
    const blank = i >= nl || first === '\r' || first === '#' || first === '\t';
    if (blockParent >= 0) {
      if (blank || indent > blockParent) {
        pos = nl + 1;
        continue;
      }
      blockParent = -1;
    }
    if (!blank || flow > 0) {
      let depth: number;
      if (flow === 0) {
        while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        // `- - key:` and `? ` open one level each
        while (i + 1 < nl && (text[i] === '-' || text[i] === '?') && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
          i += 2;
          while (i < nl && (text[i] === ' ' || text[i] === '\t')) i++;
          indents.push(i - pos);
        }
        depth = indents.length;
      } else depth = indents.length + flow;
      if (depth > limit) return nestingMessage(line, limit);
      // the rest of the line: flow brackets (outside quotes, once a flow collection or a value starts one)
      let inFlow = flow > 0;
      let prev = ' ';
      for (let j = i; j < nl; j++) {
        const c = text[j]!;
        if (quote) {
          if (c === quote) {
            if (quote === "'" && text[j + 1] === "'") j++;
            else quote = '';
          } else if (c === '\\' && quote === '"') j++;
          prev = c;
          continue;
        }
        if ((c === '"' || c === "'") && (inFlow || prev === ' ' || prev === ':')) {
          quote = c;
        } else if (c === '#' && (prev === ' ' || prev === '\t')) break;
        else if (c === '[' || c === '{') {
          if (inFlow || prev === ' ' || prev === '\t' || j === i) {
            inFlow = true;
            flow++;
            if (indents.length + flow > limit) return nestingMessage(line, limit);
          }
        } else if ((c === ']' || c === '}') && inFlow && flow > 0) {
          flow--;
          if (flow === 0) inFlow = false;
        } else if (!inFlow && (c === '|' || c === '>') && (prev === ' ' || j === i) && /^[|>][-+0-9]*[ \t]*(?:#.*)?\r?$/.test(text.slice(j, nl))) {
          blockParent = indent;
          break;
        }
        prev = c;
      }
    }
    pos = nl + 1;
  }
  return undefined;
}

function nestingMessage(line: number, limit: number): string {
  return `the YAML nests more than ${limit} levels deep (line ${line + 1}): refused rather than parsed`;
}

/**
 * Why expanding the aliases of `doc` would be too costly or impossible, or
 * undefined: more than `maxNodes` nodes once expanded (or EXPANSION_FACTOR
 * times the document's own nodes, when that is more: a 20 MB Compose file has
 * millions of nodes of its own, and its `<<: *common` in every service is no
 * bomb; the bound stays linear in the input), nesting deeper than
 * `maxDepth` once expanded, or an alias inside the node it refers to (a cycle).
 * Linear in the number of nodes (each anchored node is measured once).
 */
export function aliasProblem(doc: Document, maxNodes = MAX_EXPANDED_NODES, maxDepth = MAX_DEPTH): string | undefined {
  if (!doc.contents) return undefined;
  // post-order walk with an explicit stack; anchors are resolved as yaml does (the latest one before the alias)
  const size = new Map<unknown, { nodes: number; depth: number }>();
  const anchors = new Map<string, Node>();
  const open = new Set<unknown>();
  type Frame = { node: unknown; children: unknown[]; next: number; nodes: number; depth: number };
  const childrenOf = (node: unknown): unknown[] => {
    if (isMap(node)) {
      const out: unknown[] = [];
      for (const p of node.items) out.push(p.key, p.value);
      return out;
    }
    if (isSeq(node)) return node.items;
    if (isPair(node)) return [node.key, node.value];
    return [];
  };
  let own = 0; // the document's own nodes (aliases not expanded)
  const enter = (node: unknown): Frame => {
    const anchor = (node as { anchor?: string } | null)?.anchor;
    if (anchor && !isAlias(node)) anchors.set(anchor, node as Node);
    open.add(node);
    own++;
    return { node, children: childrenOf(node), next: 0, nodes: 1, depth: 1 };
  };
  const stack: Frame[] = [enter(doc.contents)];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.children.length) {
      const child = top.children[top.next++];
      if (child === null || child === undefined || typeof child !== 'object') continue;
      let measured: { nodes: number; depth: number } | undefined;
      if (isAlias(child)) {
        const target = anchors.get(child.source);
        if (target === undefined) continue; // yaml reports the unresolved alias itself
        if (open.has(target)) return `alias *${child.source} refers to a node that contains it: the value would be infinite`;
        measured = size.get(target);
      } else if (isScalar(child)) {
        own++;
        measured = { nodes: 1, depth: 1 };
      } else if (size.has(child)) measured = size.get(child);
      if (measured) {
        top.nodes += measured.nodes;
        if (measured.depth + 1 > top.depth) top.depth = measured.depth + 1;
        if (top.depth > maxDepth) return `expanding the aliases would nest more than ${maxDepth} levels deep`;
        continue;
      }
      if (stack.length > maxDepth) return `the YAML nests more than ${maxDepth} levels deep`;
      stack.push(enter(child));
      continue;
    }
    stack.pop();
    open.delete(top.node);
    const m = { nodes: top.nodes, depth: top.depth };
    size.set(top.node, m);
    if (m.depth > maxDepth) return `expanding the aliases would nest more than ${maxDepth} levels deep`;
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.nodes += m.nodes;
      if (m.depth + 1 > parent.depth) parent.depth = m.depth + 1;
    } else {
      // the root, measured last: sizes are numbers, never built, so a bomb costs its own nodes to measure
      const limit = Math.max(maxNodes, EXPANSION_FACTOR * own);
      if (m.nodes > limit) return expandedMessage(limit);
    }
  }
  return undefined;
}

function expandedMessage(max: number): string {
  return `expanding the aliases would create more than ${max.toLocaleString('en-US')} values (an "alias bomb"): refused rather than expanded`;
}
