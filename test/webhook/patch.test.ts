/** JSON Patch: applying diff(a, b) to a gives b, for a table of cases and for generated values. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatch, diff, escapeToken, type JsonValue } from '../../src/webhook/patch.js';

describe('diff / applyPatch', () => {
  const cases: [string, JsonValue, JsonValue, number][] = [
    ['equal', { a: 1 }, { a: 1 }, 0],
    ['add a key', { a: 1 }, { a: 1, b: [1] }, 1],
    ['remove a key', { a: 1, b: 2 }, { a: 1 }, 1],
    ['replace a scalar', { a: 1 }, { a: '1' }, 1],
    ['object becomes array', { a: { x: 1 } }, { a: [1] }, 1],
    ['keys with / and ~', { 'a/b': 1 }, { 'a/b': 2, '~c': 3 }, 2],
    ['insert in the middle of an array', { c: [1, 2, 3] }, { c: [1, 9, 2, 3] }, 1],
    ['insert at the front', { c: [1, 2] }, { c: [0, 1, 2] }, 1],
    ['remove from the middle', { c: [1, 2, 3, 4] }, { c: [1, 4] }, 2],
    ['edit one element in place', { c: [{ n: 'a', x: 1 }, { n: 'b' }] }, { c: [{ n: 'a', x: 2 }, { n: 'b' }] }, 1],
    ['empty key', { '': 1 }, { '': 2 }, 1],
    ['__proto__ as a key', JSON.parse('{"__proto__": {"a": 1}}') as JsonValue, JSON.parse('{"__proto__": {"a": 2}, "b": 1}') as JsonValue, 2],
  ];
  for (const [name, a, b, n] of cases) {
    it(name, () => {
      const ops = diff(a, b);
      expect(ops).toHaveLength(n);
      expect(applyPatch(a, ops)).toEqual(b);
      expect(a).toEqual(structuredClone(a)); // the input is not changed
    });
  }

  it('escapes JSON Pointer tokens (RFC 6901)', () => {
    expect(escapeToken('distroless-init.io/split')).toBe('distroless-init.io~1split');
    expect(escapeToken('~/')).toBe('~0~1');
  });

  it('applyPatch refuses paths that do not exist', () => {
    expect(() => applyPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 1 }])).toThrow(/does not exist/);
    expect(() => applyPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 1 }])).toThrow(/out of range/);
    expect(() => applyPatch({ a: [1] }, [{ op: 'remove', path: '/a/01' }])).toThrow(/bad array index/);
  });

  it('holds for generated JSON values', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 3 }), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(fc.constantFrom('a', 'b', 'c/d', '~e', ''), tie('value'), { maxKeys: 4 }),
    })).value as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(applyPatch(a, diff(a, b))).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });
});
