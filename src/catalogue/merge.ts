/** Merging variant overlays into a template spec (kept apart from load.ts so matching needs no YAML parser). */
import type { TemplateSpec } from './template.js';

/** Deep-merges partial specs: objects merge, arrays and scalars replace. */
export function mergeSpecs(base: TemplateSpec, overlays: Partial<TemplateSpec>[]): TemplateSpec {
  let out: unknown = base;
  for (const o of overlays) out = deepMerge(out, o);
  return out as TemplateSpec;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return b === undefined ? a : b;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
