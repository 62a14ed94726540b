/**
 * The direct paths of src/core/yaml-nodes.ts against the yaml library's own:
 * newNode builds plain data by constructors and must make the very nodes
 * yaml's createNode and the quoting visit made (same classes, values, scalar
 * styles, flow flags and tags, hence the same text); plainToJS must give what
 * toJS gives, or leave the tree to it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Document, isMap, isPair, isScalar, isSeq, parseDocument, Scalar, stringify, visit, type Node } from 'yaml';
import { createdNode, needsQuotes, newNode, NOT_PLAIN, plainToJS } from '../../src/core/yaml-nodes.js';

/** Everything about a node tree that rendering or toJS reads. */
function shape(node: unknown): unknown {
  if (isScalar(node)) return { s: node.value, type: node.type, tag: node.tag, anchor: node.anchor };
  if (isMap(node) || isSeq(node)) {
    return {
      c: isMap(node) ? 'map' : 'seq',
      flow: node.flow,
      tag: node.tag,
      anchor: node.anchor,
      items: node.items.map((it) => (isPair(it) ? [shape(it.key), shape(it.value)] : shape(it))),
    };
  }
  return { other: String(node) };
}

function same(value: unknown, flow: boolean): void {
  const doc = new Document();
  const a = newNode(doc, value, flow);
  const b = createdNode(new Document(), value, flow);
  expect(shape(a)).toEqual(shape(b));
  const da = new Document();
  da.contents = a;
  const db = new Document();
  db.contents = b;
  expect(da.toString()).toBe(db.toString());
}

describe('newNode', () => {
  it('the values the appliers write', () => {
    for (const flow of [false, true]) {
      for (const v of [
        'x',
        'yes',
        '0755',
        '',
        'multi\nline',
        ['sh', '-c', 'echo "$A"; exec "$@"'],
        { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
        { httpGet: { path: '/', port: 8080 }, periodSeconds: 10 },
        { name: 'data', emptyDir: {} },
        { type: 'RuntimeDefault' },
        ['ALL'],
        [],
        {},
        { name: 'net.ipv4.ip_unprivileged_port_start', value: '0' },
        { 'a:b': null, '<<': true, n: [1.5, -0, 1e21] },
      ]) {
        same(v, flow);
      }
    }
  });

  it('an object used twice is left to yaml (an alias)', () => {
    const shared = { a: 1 };
    same({ x: shared, y: shared }, false);
  });

  it('generated JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.boolean(), (v, flow) => {
        same(v, flow);
      }),
      { numRuns: 300 },
    );
  });
});

describe('plainToJS', () => {
  it('gives what toJS gives, for generated JSON values (built and parsed)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        for (const doc of [new Document(v), parseDocument(stringify(v))]) {
          const plain = plainToJS(doc.contents);
          if (plain !== NOT_PLAIN) expect(plain).toEqual(doc.toJS());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keys an object already has (__proto__, toString) become own properties, as with toJS', () => {
    const doc = parseDocument('__proto__: {a: 1}\ntoString: x\n');
    const plain = plainToJS(doc.contents) as Record<string, unknown>;
    expect(Object.hasOwn(plain, '__proto__')).toBe(true);
    expect(plain).toEqual(doc.toJS());
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
  });

  it('leaves to toJS what toJS treats specially', () => {
    for (const text of ['a: &x {b: 1}\nc: *x\n', '<<: {a: 1}\nb: 2\n', '!!set {a, b}\n', '!!omap [a: 1]\n', '1: a\n', 'a: !!binary aGk=\n']) {
      const doc = parseDocument(text, { merge: true });
      expect(plainToJS(doc.contents), text).toBe(NOT_PLAIN);
    }
  });
});
