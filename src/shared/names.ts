/**
 * The names the tool owns in the files it reads and writes. One home, so that an
 * annotation written by the Kubernetes applier, a label written by the Compose
 * applier, the custom-entrypoint annotations and the function config's
 * apiVersion cannot drift apart.
 */

/** The tool's domain: the group of its config API and the prefix of its annotations and labels. */
export const DOMAIN = 'distroless-init.io';

/**
 * Prefix of every annotation (Kubernetes) and label (Compose) the tool reads or
 * writes: `distroless-init.io/skip`, `distroless-init.io/split`,
 * `distroless-init.io/image.<container>`, `distroless-init.io/init-command`, ...
 */
export const KEY_PREFIX = `${DOMAIN}/`;

/** apiVersion of the tool's own objects: the `DistrolessInit` function config, the Helm 4 failure document. */
export const CONFIG_API_VERSION = `${DOMAIN}/v1alpha1`;

/** kind of the function config (KRM functionConfig, kustomize plugin, `--config` file). */
export const CONFIG_KIND = 'DistrolessInit';
