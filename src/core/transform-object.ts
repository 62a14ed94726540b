/**
 * The pipeline for one Kubernetes object given as a value (what `JSON.parse`
 * makes of the pod in an AdmissionReview), for the admission webhook: no text
 * is written, parsed, rendered or parsed again.
 *
 * * An object whose images no template claims is answered from one scan of
 *   the value, without building nodes: the pipe filter's `unknownImagesOnly`
 *   (pipeline.ts), on the value instead of the text.
 * * Otherwise the object's YAML nodes are built directly (maps, sequences and
 *   scalars holding the same values as a parse of the object written as YAML)
 *   and split by the pipe filter's own walk (pipeline.ts `splitDocument`: the
 *   same pod spec checks, plans and appliers), and the edited object is
 *   returned as a value.
 *
 * So an object transformed here equals the pipe filter's output for the same
 * object read back (test/webhook/parity.test.ts, on every fixture and corpus
 * pod). Positions (line, column) are what an object does not have:
 * diagnostics carry none. Never throws on input.
 */
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type Node, type Schema } from 'yaml';
import { findTemplate, privateRegistryMatch } from '../catalogue/match.js';
import type { Catalogue } from '../catalogue/load.js';
import { diag, type Diagnostic, type ResourceRef } from '../shared/diagnostics.js';
import { parseImageRef } from '../shared/image-ref.js';
import { MAX_DEPTH } from '../shared/limits.js';
import { KEY_PREFIX } from '../shared/names.js';
import { splitDocument, type TransformOptions } from './pipeline.js';
import { mayHoldWorkloads } from './workloads.js';
import { NOT_PLAIN, plainToJS } from './yaml-nodes.js';

export interface ObjectResult {
  /** The edited object, when it changed: a new value (the input is never modified). */
  value?: unknown;
  diagnostics: Diagnostic[];
  /** True when the object changed. */
  changed: boolean;
}

/** The document options of the pipe filter's reader (pipeline.ts PARSE_OPTIONS). */
const DOCUMENT_OPTIONS = { prettyErrors: false, uniqueKeys: true, keepSourceTokens: false } as const;

/** Transforms one Kubernetes object (a workload, a List of them, or anything else: left unchanged). Never throws on input. */
export function transformObject(value: unknown, options: TransformOptions): ObjectResult {
  const file = options.file ? { file: options.file } : {};
  if (!isPlainObject(value)) {
    return { diagnostics: [diag('DI1003', 'a Kubernetes document must be a mapping with apiVersion and kind', { ...file, document: 0 })], changed: false };
  }
  if (value.apiVersion === undefined && value.kind === undefined && value.services !== undefined) {
    const message = 'this document is a Compose file (top-level services:, no apiVersion or kind), not a Kubernetes manifest: convert it with `distroless-init compose -f FILE`';
    return { diagnostics: [diag('DI3022', message, { ...file, document: 0 })], changed: false };
  }
  // a kind that holds no workload cannot change (the pipe filter copies such documents unparsed)
  if (typeof value.kind === 'string' && !mayHoldWorkloads(value.kind)) return { diagnostics: [], changed: false };

  const scan = scanObject(value, options.catalogue);
  if (scan.tooDeep) {
    return { diagnostics: [diag('DI1011', `the object nests more than ${MAX_DEPTH} levels deep: refused rather than read`, { ...file, document: 0 })], changed: false };
  }
  if (!scan.mayChange) {
    // no image of this object is in the catalogue: say so, as the pipe filter does, and build nothing
    const resource = resourceOf(value);
    const diagnostics = scan.images.map((u) =>
      diag('DI3001', `no template for image "${u.image}"; container ${u.container ? `"${u.container}" ` : ''}left unchanged`, { ...file, document: 0, ...(resource ? { resource } : {}) }),
    );
    return { diagnostics, changed: false };
  }

  const doc = new Document(undefined, DOCUMENT_OPTIONS);
  doc.contents = buildNode(value, doc.schema) as YAMLMap;
  const r = splitDocument(doc, { index: 0 }, options);
  return r.doc ? { value: toValue(r.doc), diagnostics: r.diagnostics, changed: true } : { diagnostics: r.diagnostics, changed: false };
}

interface Scan {
  /** True unless every image is a reference no template claims and nothing names distroless-init (an annotation). */
  mayChange: boolean;
  tooDeep: boolean;
  /** The images, when none is claimed. */
  images: { image: string; container?: string }[];
}

/**
 * One walk over the value, as the pipe filter's text scan reads a document:
 * every `image` key at any depth; the object may change when one is not a
 * plain reference or is one a template claims (a private registry's copy of a
 * catalogue image included), when there is none, or when a key or string
 * holds the distroless-init.io/ prefix (skip, split, image and template
 * annotations). Stops early once the object may change; the depth is checked
 * on the way (nodes are built recursively, and yaml recurses per level too).
 */
function scanObject(root: Record<string, unknown>, catalogue: Catalogue): Scan {
  const images: { image: string; container?: string }[] = [];
  let mayChange = false;
  let tooDeep = false;
  const visit = (v: unknown, depth: number, inSeq: boolean): void => {
    if (mayChange || tooDeep) return;
    if (depth > MAX_DEPTH) {
      tooDeep = true;
      return;
    }
    if (typeof v === 'string') {
      if (v.includes(KEY_PREFIX)) mayChange = true;
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const item of v) visit(item, depth + 1, true);
      return;
    }
    const map = v as Record<string, unknown>;
    for (const k of Object.keys(map)) {
      if (k.includes(KEY_PREFIX)) {
        mayChange = true;
        return;
      }
      const x = map[k];
      if (k === 'image') {
        const ref = typeof x === 'string' ? parseImageRef(x) : undefined;
        if (!ref || findTemplate(catalogue, ref) || privateRegistryMatch(catalogue, ref)) {
          mayChange = true;
          return;
        }
        const container = inSeq && typeof map.name === 'string' ? map.name : undefined;
        images.push({ image: x as string, ...(container ? { container } : {}) });
      }
      visit(x, depth + 1, false);
    }
  };
  visit(root, 1, false);
  // no image at all: the walk decides (a workload without containers gets its DI1006)
  return { mayChange: mayChange || tooDeep || images.length === 0, tooDeep, images };
}

function resourceOf(value: Record<string, unknown>): ResourceRef | undefined {
  if (typeof value.kind !== 'string') return undefined;
  const meta = value.metadata;
  const name = isPlainObject(meta) && typeof meta.name === 'string' ? meta.name : undefined;
  return { kind: value.kind, ...(name ? { name } : {}) };
}

/**
 * The YAML node of a JSON value: the classes and values `parseDocument` gives
 * the value written as YAML (keys are string scalars, numbers stay numbers,
 * strings stay strings whatever they look like); no ranges, comments or
 * scalar styles, which only the text front doors need. Keys whose value is
 * undefined are left out, as JSON leaves them out.
 */
function buildNode(v: unknown, schema: Schema): Node {
  if (Array.isArray(v)) {
    const seq = new YAMLSeq(schema);
    for (const item of v) seq.items.push(buildNode(item === undefined ? null : item, schema));
    return seq;
  }
  if (v !== null && typeof v === 'object') {
    const map = new YAMLMap(schema);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const x = o[k];
      if (x !== undefined) map.items.push(new Pair(new Scalar(k), buildNode(x, schema)));
    }
    return map;
  }
  return new Scalar(v);
}

/** The edited document as a value: what `doc.toJS()` gives (yaml-nodes.ts plainToJS, else toJS itself). */
function toValue(doc: Document): unknown {
  const value = plainToJS(doc.contents);
  return value === NOT_PLAIN ? doc.toJS({ maxAliasCount: -1 }) : value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
