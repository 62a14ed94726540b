/**
 * The options of a run, read the same way from every place a user writes them:
 *
 * - command-line flags (`--image NAME=REF`, `--security KEY=true|false`,
 *   `--mirror PREFIX`, `--templates DIR`; the pipe filter, the Helm
 *   post-renderer's `--post-renderer-args`, `compose`);
 * - a function config: the KRM `functionConfig`, the kustomize plugin's and
 *   `--config` file: `apiVersion: distroless-init.io/v1alpha1`, `kind:
 *   DistrolessInit` with `spec: {images, templates, security, mirrors}`, or a
 *   ConfigMap whose `data` holds the same keys as text lists (`images:
 *   "db=REF,…"`, what `kpt fn eval -- images=…` makes).
 *
 * One rule per value, whatever the channel: text values (a flag, an item of a
 * ConfigMap list) are trimmed, and so is each side of `NAME=REF` and
 * `KEY=true|false`; an empty name, reference, directory or prefix is a problem.
 * Problems are DI1008 diagnostics whose `field` says where the value was (`--image`,
 * `spec.images.db`, `data.security`, ...); the message starts with that place.
 * The CLI turns problems in its flags into a usage error (exit 2), problems in a
 * `--config` file into an input error (exit 1); the KRM function returns them as
 * error results. Library code: never throws, never prints. No YAML here (the
 * pipe filter loads this module at start-up): a config file's text is parsed by
 * readConfigText (src/adapters/krm.ts).
 */
import { normalizeMirror } from '../catalogue/match.js';
import { diag, type Diagnostic } from '../shared/diagnostics.js';
import { CONFIG_API_VERSION, CONFIG_KIND } from '../shared/names.js';
import { DEFAULT_HARDENING, type Hardening } from './hardening.js';

/** The options of a run (also what a function config holds). */
export interface FunctionConfig {
  /** Main image per container or template name. */
  images: Record<string, string>;
  /** Extra template directories (relative ones are resolved by the caller). */
  templates: string[];
  /** Overrides of the main container's security defaults. */
  hardening: Partial<Hardening>;
  /** Registry prefixes that serve Docker Hub's images, normalised (no trailing `/`). */
  mirrors: string[];
}

/** The four options, by their name in a function config. */
export type OptionName = 'images' | 'templates' | 'security' | 'mirrors';

/** The command-line flag of each option. */
export const OPTION_FLAGS: Readonly<Record<OptionName, string>> = {
  images: '--image',
  templates: '--templates',
  security: '--security',
  mirrors: '--mirror',
};

export function emptyOptions(): FunctionConfig {
  return { images: {}, templates: [], hardening: {}, mirrors: [] };
}

const SECURITY_KEYS = Object.keys(DEFAULT_HARDENING) as (keyof Hardening)[];

/**
 * Adds one value written as text (a flag's value, an item of a ConfigMap list)
 * to `into`. Returns the problem, a message without the option's name, or
 * undefined.
 */
export function addOptionText(into: FunctionConfig, name: OptionName, text: string): string | undefined {
  const value = text.trim();
  switch (name) {
    case 'images': {
      const i = value.indexOf('=');
      const image = i < 0 ? '' : value.slice(0, i).trim();
      const ref = i < 0 ? '' : value.slice(i + 1).trim();
      if (image === '' || ref === '') return `expects NAME=REF, got "${text}"`;
      into.images[image] = ref;
      return undefined;
    }
    case 'security': {
      const i = value.indexOf('=');
      const key = i < 0 ? value : value.slice(0, i).trim();
      const flag = i < 0 ? '' : value.slice(i + 1).trim();
      if (!isSecurityKey(key) || (flag !== 'true' && flag !== 'false')) {
        return `expects KEY=true|false with KEY one of ${SECURITY_KEYS.join(', ')}; got "${text}"`;
      }
      into.hardening[key] = flag === 'true';
      return undefined;
    }
    case 'mirrors':
      return addMirror(into, value);
    case 'templates':
      return addTemplates(into, value);
  }
}

/** Adds a main image (`images` mapping of a DistrolessInit spec, or a parsed `NAME=REF`). */
export function addImage(into: FunctionConfig, name: string, ref: unknown): string | undefined {
  if (name === '') return 'expects a container or template name';
  if (typeof ref !== 'string' || ref.trim() === '') return `expects an image reference, got ${show(ref)}`;
  into.images[name] = ref.trim();
  return undefined;
}

/** Adds a security override given as a key and a boolean (`security` mapping of a DistrolessInit spec). */
export function addSecurity(into: FunctionConfig, key: string, value: unknown): string | undefined {
  if (!isSecurityKey(key)) return `is not a security switch: expects one of ${SECURITY_KEYS.join(', ')}`;
  if (typeof value !== 'boolean') return `expects true or false, got ${show(value)}`;
  into.hardening[key] = value;
  return undefined;
}

/** Adds a mirror prefix: a registry host with an optional path, no tag or digest. */
export function addMirror(into: FunctionConfig, value: unknown): string | undefined {
  const m = typeof value === 'string' ? normalizeMirror(value) : undefined;
  if (m === undefined) return `expects a registry host with an optional path (harbor.example.com/dockerhub), got ${show(value)}`;
  into.mirrors.push(m);
  return undefined;
}

/** Adds a template directory. */
export function addTemplates(into: FunctionConfig, value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return `expects a directory, got ${show(value)}`;
  into.templates.push(value.trim());
  return undefined;
}

/**
 * Parses the values of the repeatable command-line flags (`image: ['db=REF']`
 * for `--image db=REF`, ...). A problem is a DI1008 diagnostic whose field is
 * the flag and whose message starts with it.
 */
export function parseOptionFlags(flags: Partial<Record<OptionName, readonly string[]>>): { options: FunctionConfig; diagnostics: Diagnostic[] } {
  const options = emptyOptions();
  const diagnostics: Diagnostic[] = [];
  for (const name of ['images', 'templates', 'security', 'mirrors'] as const) {
    for (const text of flags[name] ?? []) {
      const problem = addOptionText(options, name, text);
      if (problem !== undefined) diagnostics.push(diag('DI1008', `${OPTION_FLAGS[name]} ${problem}`, { field: OPTION_FLAGS[name] }));
    }
  }
  return { options, diagnostics };
}

/**
 * Reads a function config: a DistrolessInit object, or a ConfigMap. Unknown keys
 * and bad values are DI1008 errors; a missing config means "no options".
 */
export function readFunctionConfig(value: unknown, file?: string): { config: FunctionConfig; diagnostics: Diagnostic[] } {
  const config = emptyOptions();
  const diagnostics: Diagnostic[] = [];
  const where = file ? { file } : {};
  const bad = (message: string, field?: string): void => {
    diagnostics.push(diag('DI1008', message, { ...where, ...(field ? { field } : {}) }));
  };
  /** Reports a problem of the value at `field`, the message starting with the field. */
  const check = (field: string, problem: string | undefined): void => {
    if (problem !== undefined) bad(`${field} ${problem}`, field);
  };
  if (value === undefined || value === null) return { config, diagnostics };
  if (!isObject(value)) {
    bad('the function config must be a mapping');
    return { config, diagnostics };
  }
  const kind = value.kind;
  if (kind === 'ConfigMap') {
    const data = value.data ?? {};
    if (!isObject(data)) {
      bad('ConfigMap data must be a mapping', 'data');
      return { config, diagnostics };
    }
    for (const [key, raw] of Object.entries(data)) {
      const text = typeof raw === 'string' ? raw : String(raw);
      const field = `data.${key}`;
      if (isOptionName(key)) {
        for (const item of text.split(/[\n,]/)) if (item.trim() !== '') check(field, addOptionText(config, key, item));
      } else if (key.startsWith('image.')) {
        check(field, addImage(config, key.slice(6).trim(), text.trim()));
      } else {
        bad(`unknown key "${key}" in the ConfigMap data (expected images, templates, security, mirrors)`, field);
      }
    }
    return { config, diagnostics };
  }
  if (kind !== CONFIG_KIND || (value.apiVersion !== undefined && value.apiVersion !== CONFIG_API_VERSION)) {
    bad(`the function config must be apiVersion: ${CONFIG_API_VERSION}, kind: ${CONFIG_KIND} (or a ConfigMap), got ${String(value.apiVersion)} ${String(kind)}`);
    return { config, diagnostics };
  }
  const spec = value.spec ?? {};
  if (!isObject(spec)) {
    bad('spec must be a mapping', 'spec');
    return { config, diagnostics };
  }
  for (const [key, v] of Object.entries(spec)) {
    const field = `spec.${key}`;
    if (key === 'images') {
      if (isObject(v)) for (const [name, ref] of Object.entries(v)) check(`${field}.${name}`, addImage(config, name, ref));
      else bad(`${field} must map a container or template name to an image reference`, field);
    } else if (key === 'templates' || key === 'mirrors') {
      const list = typeof v === 'string' ? [v] : v;
      if (Array.isArray(list)) for (const item of list) check(field, key === 'templates' ? addTemplates(config, item) : addMirror(config, item));
      else bad(`${field} must be a list of ${key === 'templates' ? 'directories' : 'registry prefixes'}`, field);
    } else if (key === 'security') {
      if (isObject(v)) for (const [k, b] of Object.entries(v)) check(`${field}.${k}`, addSecurity(config, k, b));
      else bad(`${field} must be a mapping of KEY: true|false`, field);
    } else {
      bad(`unknown field ${field} (expected images, templates, security, mirrors)`, field);
    }
  }
  return { config, diagnostics };
}

function isOptionName(key: string): key is OptionName {
  return Object.hasOwn(OPTION_FLAGS, key);
}

function isSecurityKey(key: string): key is keyof Hardening {
  return Object.hasOwn(DEFAULT_HARDENING, key);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v);
}
