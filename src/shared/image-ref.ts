/**
 * Container image references, parsed the way the Docker distribution reference
 * grammar does: `[registry/][namespace/]repository[:tag][@digest]`.
 *
 * The first path component is a registry when it contains `.` or `:` or is
 * `localhost`. Docker Hub (`docker.io`, `index.docker.io`,
 * `registry-1.docker.io`) is normalised away, and so is its `library/`
 * namespace, so `docker.io/library/postgres:16` and `postgres:16` are the same.
 */

export interface ImageRef {
  /** The text as written. */
  raw: string;
  /** Registry host (and port), or undefined for Docker Hub. */
  registry?: string;
  /** Repository path without the registry, e.g. `postgres`, `bitnami/postgresql`. */
  path: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Parses an image reference; returns undefined when it is not one (e.g. `${IMAGE}`). */
export function parseImageRef(raw: string): ImageRef | undefined {
  let rest = raw.trim();
  if (rest === '' || rest !== raw) return undefined;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = parts.shift();
  }
  if (registry && DOCKER_HUB.has(registry)) registry = undefined;
  if (!registry && parts.length === 2 && parts[0] === 'library') parts.shift();
  if (parts.length === 0 || !parts.every((p) => PATH_COMPONENT.test(p))) return undefined;
  const ref: ImageRef = { raw, path: parts.join('/') };
  if (registry) ref.registry = registry;
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** `registry/path:tag@digest`, without the Docker Hub defaults. */
export function formatImageRef(ref: Omit<ImageRef, 'raw'>): string {
  let s = ref.registry ? `${ref.registry}/${ref.path}` : ref.path;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}
