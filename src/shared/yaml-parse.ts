/**
 * `yaml`'s `parseDocument` with its duplicate-key check done in linear time.
 *
 * With `uniqueKeys: true`, yaml compares each key of a mapping with every key
 * before it, quadratic in the mapping's size: a Compose file's `services:` or
 * `volumes:` of 100,000 entries (a 20 MB file), or a ConfigMap of as many
 * keys, spent minutes there. Here yaml parses without the check, and one walk
 * over the nodes finds the same duplicates with a set per mapping: the same
 * rule (two scalar keys with the same value), the same error (`DUPLICATE_KEY`,
 * "Map keys must be unique", at the repeated key), in position order among
 * yaml's other errors.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, YAMLParseError, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { pushAll } from './diagnostics.js';

export type YamlParseOptions = ParseOptions & DocumentOptions & SchemaOptions;

/** Parses one YAML document as `parseDocument(text, options)` would, `uniqueKeys` (default true) checked in linear time. */
export function parseYaml(text: string, options: YamlParseOptions = {}): Document.Parsed {
  const unique = options.uniqueKeys ?? true;
  const doc = parseDocument(text, { ...options, uniqueKeys: false });
  if (unique === true) {
    const found = duplicateKeyErrors(doc);
    if (found.length) {
      pushAll(doc.errors, found);
      doc.errors.sort((a, b) => a.pos[0] - b.pos[0]);
    }
  } else if (unique !== false) {
    throw new TypeError('parseYaml: uniqueKeys must be true or false');
  }
  doc.options.uniqueKeys = unique;
  return doc;
}

/** A `DUPLICATE_KEY` error for every scalar key that repeats an earlier key of its mapping. */
function duplicateKeyErrors(doc: Document): YAMLParseError[] {
  const errors: YAMLParseError[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        if (isScalar(key)) {
          if (seen.has(key.value)) {
            const at = key.range?.[0] ?? 0;
            errors.push(new YAMLParseError([at, at + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
          } else seen.add(key.value);
        } else stack.push(key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isPair(node)) {
      stack.push(node.key, node.value);
    }
  }
  return errors;
}
