/**
 * Matching an image reference against the catalogue: which template, which
 * variants (from the tag), which variables, and the resulting spec with every
 * `{var}` placeholder expanded.
 */
import type { ImageRef } from '../shared/image-ref.js';
import type { Catalogue, LoadedTemplate } from './load.js';
import { mergeSpecs } from './merge.js';
import { MAX_REGEX_INPUT } from './safe-regex.js';
import type { Template, TemplateSpec } from './template.js';

export interface TemplateMatch {
  loaded: LoadedTemplate;
  template: Template;
  /** Names of the variants that matched, in order. */
  variants: string[];
  vars: Record<string, string>;
  /** True when the tag named no version and the template default was used. */
  defaulted: boolean;
  /** Set when a variable's value is outside `versions.supported`. */
  unsupported?: string;
  /** The merged, expanded spec (absent for declined templates). */
  spec?: TemplateSpec;
}

/** Finds the template for an image; undefined when no template claims its repository path. */
export function findTemplate(catalogue: Catalogue, ref: ImageRef): LoadedTemplate | undefined {
  const hub = ref.registry ? mirroredPath(catalogue, `${ref.registry}/${ref.path}`) : undefined;
  if (hub !== undefined) return catalogue.byImage.get(hub) ?? catalogue.byImage.get(`${ref.registry}/${ref.path}`);
  // another registry's `redis` (registry.k8s.io/redis:e2e) is not Docker Hub's: only a template listing `host/path` claims it
  if (ref.registry && !isMirrorPath(ref.path)) return catalogue.byImage.get(`${ref.registry}/${ref.path}`);
  const exact = catalogue.byImage.get(ref.path);
  if (exact || !isMirrorPath(ref.path)) return exact;
  return catalogue.byImage.get(ref.path.split('/').pop() ?? '');
}

export function matchTemplate(catalogue: Catalogue, ref: ImageRef): TemplateMatch | undefined {
  const loaded = findTemplate(catalogue, ref);
  if (!loaded) return undefined;
  const template = loaded.template;
  const tag = ref.tag ?? 'latest';
  const { vars, defaulted } = tagVariables(template, tag);
  const match: TemplateMatch = { loaded, template, variants: [], vars, defaulted };
  for (const [k, allowed] of Object.entries(template.versions?.supported ?? {})) {
    const v = vars[k];
    if (v !== undefined && !allowed.includes(v)) match.unsupported = `${k} ${v} (supported: ${allowed.join(', ')})`;
  }
  if (template.decline || !template.spec) return match;
  const chosen = (template.variants ?? []).filter((v) =>
    Object.entries(v.when ?? {}).every(([k, re]) => {
      const value = k === 'tag' ? tag : (vars[k] ?? '');
      return value.length <= MAX_REGEX_INPUT && new RegExp(re).test(value); // bounded input: see safe-regex.ts
    }),
  );
  match.variants = chosen.map((v) => v.name);
  const context = { ...vars, tag, path: ref.path };
  match.spec = expand(mergeSpecs(template.spec, chosen.map((v) => v.spec)), context);
  return match;
}

/**
 * A mirror prefix as given (`harbor.example.com/dockerhub`, `localhost:5000`),
 * without trailing slashes; undefined when it is not a registry host with an
 * optional path (no tag, digest or scheme).
 */
export function normalizeMirror(value: string): string | undefined {
  const m = value.trim().replace(/\/+$/, '');
  const host = m.split('/')[0] ?? '';
  if (!/^[a-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9._-]+)*$/i.test(m) || !(/[.:]/.test(host) || host === 'localhost')) return undefined;
  return m;
}

/** The Docker Hub path of an image under one of the catalogue's mirror prefixes (`library/` dropped), or undefined. */
function mirroredPath(catalogue: Catalogue, name: string): string | undefined {
  const m = mirrorPrefix(catalogue, name);
  return m === undefined ? undefined : name.slice(m.length + 1).replace(/^library\//, '');
}

function mirrorPrefix(catalogue: Catalogue, name: string): string | undefined {
  return catalogue.mirrors?.find((m) => name.startsWith(`${m}/`));
}

/** The catalogue's mirror prefix the image is under, if any. */
export function mirrorOf(catalogue: Catalogue, ref: ImageRef): string | undefined {
  return ref.registry ? mirrorPrefix(catalogue, `${ref.registry}/${ref.path}`) : undefined;
}

/** `library/postgres` on a mirror (`mirror.gcr.io/library/postgres`, `public.ecr.aws/docker/library/postgres`). */
function isMirrorPath(path: string): boolean {
  const parts = path.split('/');
  return parts[parts.length - 2] === 'library';
}

function tagVariables(template: Template, tag: string): { vars: Record<string, string>; defaulted: boolean } {
  if (!template.versions) return { vars: {}, defaulted: false };
  const m = tag.length <= MAX_REGEX_INPUT ? new RegExp(template.versions.pattern).exec(tag) : null; // bounded input: see safe-regex.ts
  const groups = m?.groups ?? {};
  const found = Object.entries(groups).filter(([, v]) => v !== undefined) as [string, string][];
  if (found.length === 0) return { vars: { ...template.versions.default }, defaulted: true };
  return { vars: { ...template.versions.default, ...Object.fromEntries(found) }, defaulted: false };
}

/** Replaces `{name}` placeholders in every string of a value. */
export function expand<T>(value: T, context: Record<string, string>): T {
  // a new copy every time (callers own what they get); loops rather than entries/fromEntries: this runs once per matched container
  if (typeof value === 'string') {
    return (value.includes('{') ? value.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, name: string) => context[name] ?? all) : value) as T;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) out.push(expand(v, context));
    return out as T;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = expand((value as Record<string, unknown>)[k], context);
      if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
      else out[k] = v;
    }
    return out as T;
  }
  return value;
}

/**
 * A reference from a registry the catalogue does not claim, whose last path
 * element is a catalogue image (`localhost/postgres:16`,
 * `registry.example.com/library/postgres:16`, `registry.example.com/team/postgres:16`):
 * the match it gets when that registry prefix is a mirror of Docker Hub, and the
 * prefix to pass as `--mirror` (`localhost`, `registry.example.com`,
 * `registry.example.com/team`). Undefined when the reference matches as it is,
 * has no registry host, or no template claims the last element.
 */
export function privateRegistryMatch(catalogue: Catalogue, ref: ImageRef): { match: TemplateMatch; mirror: string } | undefined {
  if (!ref.registry || findTemplate(catalogue, ref)) return undefined;
  const parts = ref.path.split('/');
  parts.pop();
  if (parts[parts.length - 1] === 'library') parts.pop(); // PREFIX/library/postgres: mirroredPath drops `library/`
  const mirror = [ref.registry, ...parts].join('/');
  const mirrored: Catalogue = {
    get templates() {
      return catalogue.templates;
    },
    get byImage() {
      return catalogue.byImage;
    },
    mirrors: [...(catalogue.mirrors ?? []), mirror],
  };
  const match = matchTemplate(mirrored, ref);
  return match ? { match, mirror } : undefined;
}
