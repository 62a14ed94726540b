/**
 * JSON Patch (RFC 6902) between two JSON values: the operations that turn the
 * pod the API server sent into the pod the pipeline wrote. Objects are diffed
 * key by key; arrays keep their common prefix and suffix and edit the middle
 * element by element, so that a container that gained one field is one `add`,
 * not a replaced container list. `applyPatch` is the reference applier used by
 * the tests (and a self-check): applying `diff(a, b)` to `a` gives `b`.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type PatchOperation =
  | { op: 'add'; path: string; value: JsonValue }
  | { op: 'replace'; path: string; value: JsonValue }
  | { op: 'remove'; path: string };

/** The JSON Pointer (RFC 6901) token for a key: `~` → `~0`, `/` → `~1`. */
export function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function isObject(v: unknown): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!Object.hasOwn(b, k) || !jsonEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** The operations that turn `from` into `to` (empty when they are equal). */
export function diff(from: JsonValue, to: JsonValue): PatchOperation[] {
  const ops: PatchOperation[] = [];
  diffInto(from, to, '', ops);
  return ops;
}

function diffInto(from: JsonValue, to: JsonValue, path: string, ops: PatchOperation[]): void {
  if (jsonEqual(from, to)) return;
  if (isObject(from) && isObject(to)) {
    for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) ops.push({ op: 'remove', path: `${path}/${escapeToken(k)}` });
    for (const k of Object.keys(to)) {
      const p = `${path}/${escapeToken(k)}`;
      if (!Object.hasOwn(from, k)) ops.push({ op: 'add', path: p, value: to[k]! });
      else diffInto(from[k]!, to[k]!, p, ops);
    }
    return;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    let start = 0;
    while (start < from.length && start < to.length && jsonEqual(from[start], to[start])) start++;
    let endFrom = from.length;
    let endTo = to.length;
    while (endFrom > start && endTo > start && jsonEqual(from[endFrom - 1], to[endTo - 1])) {
      endFrom--;
      endTo--;
    }
    const removed = endFrom - start;
    const added = endTo - start;
    const common = Math.min(removed, added);
    for (let i = 0; i < common; i++) diffInto(from[start + i]!, to[start + i]!, `${path}/${start + i}`, ops);
    // inserting before the suffix shifts it right; removing at one index shifts the rest left
    for (let i = common; i < added; i++) ops.push({ op: 'add', path: `${path}/${start + i}`, value: to[start + i]! });
    for (let i = common; i < removed; i++) ops.push({ op: 'remove', path: `${path}/${start + common}` });
    return;
  }
  ops.push({ op: 'replace', path, value: to });
}

/**
 * Applies `ops` to a copy of `doc` as RFC 6902 says (add, replace, remove;
 * `-` appends). Throws on a path that does not exist: a patch we send must
 * always apply.
 */
export function applyPatch(doc: JsonValue, ops: readonly PatchOperation[]): JsonValue {
  let root = structuredClone(doc);
  for (const op of ops) {
    if (op.path === '') {
      if (op.op === 'remove') throw new Error('cannot remove the root');
      root = structuredClone(op.value);
      continue;
    }
    if (!op.path.startsWith('/')) throw new Error(`bad pointer ${op.path}`);
    const tokens = op.path.slice(1).split('/').map(unescapeToken);
    const last = tokens.pop()!;
    let parent: JsonValue = root;
    for (const t of tokens) {
      const next: JsonValue | undefined = Array.isArray(parent) ? parent[arrayIndex(t, parent.length - 1)] : isObject(parent) && Object.hasOwn(parent, t) ? parent[t] : undefined;
      if (next === undefined) throw new Error(`path ${op.path} does not exist`);
      parent = next;
    }
    if (Array.isArray(parent)) {
      if (op.op === 'add') parent.splice(last === '-' ? parent.length : arrayIndex(last, parent.length), 0, structuredClone(op.value));
      else if (op.op === 'replace') parent[arrayIndex(last, parent.length - 1)] = structuredClone(op.value);
      else parent.splice(arrayIndex(last, parent.length - 1), 1);
    } else if (isObject(parent)) {
      if (op.op !== 'add' && !Object.hasOwn(parent, last)) throw new Error(`path ${op.path} does not exist`);
      if (op.op === 'remove') delete parent[last];
      else Object.defineProperty(parent, last, { value: structuredClone(op.value), enumerable: true, writable: true, configurable: true });
    } else throw new Error(`path ${op.path} does not exist`);
  }
  return root;
}

function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new Error(`bad array index ${token}`);
  const i = Number(token);
  if (i > max) throw new Error(`array index ${i} out of range`);
  return i;
}
