/**
 * A JSON value written as block YAML in the subset the pipeline's fast reader
 * handles (src/core/fast-yaml.ts): two-space indentation, sequences indented
 * under their key, strings plain when they read back as themselves in YAML 1.1
 * and 1.2 (the pipeline's own `needsQuotes`), else double-quoted JSON strings
 * (JSON's escapes are YAML's). The webhook hands pods to the pipeline in this
 * form rather than as JSON: JSON is flow YAML, which only `yaml`'s full parser
 * reads, at several times the cost; and a pod whose images no template claims
 * is then recognised without being parsed at all. Equality with the JSON and
 * `yaml.stringify` forms is tested (test/webhook/parity.test.ts).
 */
import { needsQuotes } from '../core/yaml-nodes.js';
import type { JsonValue } from './patch.js';

export function toBlockYaml(value: JsonValue): string {
  const out: string[] = [];
  if (isObject(value)) writeMap(value, '', out);
  else if (Array.isArray(value)) writeSeq(value, '', out);
  else out.push(scalar(value));
  return `${out.join('\n')}\n`;
}

function isObject(v: JsonValue): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return needsQuotes(v) ? JSON.stringify(v) : v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return '[]'; // empty only: callers write non-empty ones as blocks
  return '{}';
}

function isBlock(v: JsonValue): boolean {
  return (Array.isArray(v) && v.length > 0) || (isObject(v) && Object.keys(v).length > 0);
}

function key(k: string): string {
  // `<<` plain is a merge key to YAML 1.1 readers (and to the pipeline's): a JSON key of that name is quoted
  return needsQuotes(k) || k.includes(':') || k === '<<' ? JSON.stringify(k) : k;
}

/** Writes the pairs of a map; the first line starts with `firstPrefix` (a `- ` of a sequence item) instead of `indent`. */
function writeMap(map: { [key: string]: JsonValue }, indent: string, out: string[], firstPrefix?: string): void {
  let first = true;
  for (const [k, v] of Object.entries(map)) {
    const lead = first && firstPrefix !== undefined ? firstPrefix : indent;
    first = false;
    if (!isBlock(v)) {
      out.push(`${lead}${key(k)}: ${scalar(v)}`);
      continue;
    }
    out.push(`${lead}${key(k)}:`);
    if (Array.isArray(v)) writeSeq(v, `${indent}  `, out);
    else writeMap(v as { [key: string]: JsonValue }, `${indent}  `, out);
  }
}

function writeSeq(seq: JsonValue[], indent: string, out: string[]): void {
  for (const item of seq) {
    if (!isBlock(item)) out.push(`${indent}- ${scalar(item)}`);
    else if (Array.isArray(item)) {
      out.push(`${indent}-`);
      writeSeq(item, `${indent}  `, out);
    } else writeMap(item as { [key: string]: JsonValue }, `${indent}  `, out, `${indent}- `);
  }
}
