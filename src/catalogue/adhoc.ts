/**
 * Custom entrypoints without a template: annotations on the workload describe
 * the split of an image whose own `entrypoint.sh` templates its config and then
 * `exec "$@"`s. They build an ad-hoc `Template` (validated by the same JSON
 * Schema) and a one-template catalogue that the planner uses instead of the
 * built-in one for that container.
 *
 * Annotations (workload metadata or pod template metadata; the pod's win):
 * - `distroless-init.io/init-command`: JSON array, run in the full image (the
 *   entrypoint plus a no-op that passes its gate, e.g. `["/entrypoint.sh", "true"]`).
 * - `distroless-init.io/main-command`: JSON array, the final binary and all its
 *   arguments; the container's own command/args are replaced by it.
 * - `distroless-init.io/shared-paths`: comma list of absolute paths the init
 *   step writes and main must see (each an emptyDir in both, or the volume the
 *   container already mounts there). Default: none (`/tmp` is shared).
 * - `distroless-init.io/user`: `uid:gid` of both containers (required).
 * - `distroless-init.io/init-only-env`: comma list of env names/globs removed
 *   from main (`_FILE` forms implied). Optional.
 * - `distroless-init.io/container`: the container to split; required when the
 *   pod has more than one container, otherwise the only container.
 * - `distroless-init.io/image.<container>` (existing): the main image.
 */
import { diag, type Diagnostic } from '../shared/diagnostics.js';
import { parseImageRef } from '../shared/image-ref.js';
import { KEY_PREFIX } from '../shared/names.js';
import type { Catalogue, LoadedTemplate } from './load.js';
import type { Template } from './template.js';
import { validateTemplate } from './validate.gen.js';

export const ADHOC_ANNOTATIONS = {
  initCommand: `${KEY_PREFIX}init-command`,
  mainCommand: `${KEY_PREFIX}main-command`,
  sharedPaths: `${KEY_PREFIX}shared-paths`,
  user: `${KEY_PREFIX}user`,
  initOnlyEnv: `${KEY_PREFIX}init-only-env`,
  container: `${KEY_PREFIX}container`,
} as const;

/** Name of the ad-hoc template in diagnostics (`split with template "custom-entrypoint"`). */
export const ADHOC_TEMPLATE_NAME = 'custom-entrypoint';

export interface AdhocResult {
  /** A catalogue holding only the ad-hoc template, when the annotations apply to this container and are valid. */
  catalogue?: Catalogue;
  diagnostics: Diagnostic[];
}

/** True when the annotations ask for an ad-hoc split at all. */
export function hasAdhocAnnotations(annotations: Readonly<Record<string, string>>): boolean {
  return annotations[ADHOC_ANNOTATIONS.initCommand] !== undefined || annotations[ADHOC_ANNOTATIONS.mainCommand] !== undefined;
}

/**
 * The ad-hoc catalogue for one container, or nothing when the workload has no
 * ad-hoc annotations or they name another container. Never throws: problems are
 * DI3015 diagnostics (the container is then left unchanged).
 */
export function adhocCatalogue(
  annotations: Readonly<Record<string, string>>,
  container: { name: string; image: string },
  containerNames: readonly string[],
): AdhocResult {
  if (!hasAdhocAnnotations(annotations)) return { diagnostics: [] };
  const problems: string[] = [];
  const target = annotations[ADHOC_ANNOTATIONS.container];
  if (target === undefined) {
    if (containerNames.length !== 1) {
      // reported once, on the first container
      if (container.name !== containerNames[0]) return { diagnostics: [] };
      return fail([`the pod has ${containerNames.length} containers: name the one to split with ${ADHOC_ANNOTATIONS.container}`]);
    }
  } else {
    if (!containerNames.includes(target)) {
      if (container.name !== containerNames[0]) return { diagnostics: [] };
      return fail([`${ADHOC_ANNOTATIONS.container} names "${target}", but the pod has no such container (${containerNames.join(', ')})`]);
    }
    if (target !== container.name) return { diagnostics: [] };
  }

  const init = jsonArgv(annotations[ADHOC_ANNOTATIONS.initCommand], ADHOC_ANNOTATIONS.initCommand, problems);
  const main = jsonArgv(annotations[ADHOC_ANNOTATIONS.mainCommand], ADHOC_ANNOTATIONS.mainCommand, problems);
  if (annotations[ADHOC_ANNOTATIONS.mainCommand] === undefined) problems.push(`${ADHOC_ANNOTATIONS.mainCommand} is required with ${ADHOC_ANNOTATIONS.initCommand}`);
  const shared = list(annotations[ADHOC_ANNOTATIONS.sharedPaths]);
  for (const p of shared) if (!p.startsWith('/')) problems.push(`${ADHOC_ANNOTATIONS.sharedPaths}: "${p}" is not an absolute path`);
  const user = /^(\d{1,10}):(\d{1,10})$/.exec(annotations[ADHOC_ANNOTATIONS.user] ?? '');
  if (!user) problems.push(`${ADHOC_ANNOTATIONS.user} must be "uid:gid" (numbers), got ${JSON.stringify(annotations[ADHOC_ANNOTATIONS.user] ?? null)}`);
  const uid = Number(user?.[1] ?? 0);
  if (user && uid === 0) problems.push(`${ADHOC_ANNOTATIONS.user}: main must not run as uid 0`);
  const ref = parseImageRef(container.image);
  if (!ref) problems.push(`image "${container.image}" is not a plain image reference`);
  if (problems.length || !main || !ref || !user) return fail(problems);

  // the first shared path doubles as the data path (a volume the container mounts there is kept)
  const [dataPath = '/tmp', ...rest] = shared;
  const template: Template = {
    name: ADHOC_TEMPLATE_NAME,
    description: `custom entrypoint of container "${container.name}" (from ${KEY_PREFIX}* annotations)`,
    images: [ref.path],
    spec: {
      uid,
      gid: Number(user[2]),
      dataPath,
      persistent: false,
      main: { serverNames: [main[0]!], command: main, ignoreArgs: true },
      ...(init ? { init: { command: init, args: [], runAs: 'uid' as const } } : {}),
      ...(rest.length ? { shared: rest } : {}),
      ...(annotations[ADHOC_ANNOTATIONS.initOnlyEnv] ? { initOnlyEnv: list(annotations[ADHOC_ANNOTATIONS.initOnlyEnv]) } : {}),
      runtime: { binaries: [main[0]!] },
    },
  };
  if (!validateTemplate(template)) {
    const errors = (validateTemplate as unknown as { errors: { instancePath: string; message?: string }[] }).errors;
    return fail(errors.map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`));
  }
  const loaded: LoadedTemplate = { template, file: `${KEY_PREFIX}* annotations`, builtin: false };
  // the keys findTemplate may look up: host/path (another registry), path, and a mirror's last component
  const keys = [ref.registry ? `${ref.registry}/${ref.path}` : ref.path, ref.path, ref.path.split('/').pop() ?? ref.path];
  const byImage = new Map(keys.map((k) => [k, loaded] as const));
  return { catalogue: { templates: [loaded], byImage }, diagnostics: [] };

  function fail(messages: string[]): AdhocResult {
    return {
      diagnostics: messages.map((m) => diag('DI3015', `container "${container.name}": ${m}; left unchanged`)),
    };
  }
}

function jsonArgv(raw: string | undefined, name: string, problems: string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    problems.push(`${name} is not JSON: ${(e as Error).message}`);
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    problems.push(`${name} must be a non-empty JSON array of non-empty strings, e.g. ["/entrypoint.sh", "true"]`);
    return undefined;
  }
  return value as string[];
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
