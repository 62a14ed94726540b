/**
 * The shape of a template (one YAML file per image under `templates/`).
 * `template.schema.json` is the same contract for editors and ajv; a test
 * keeps the two in agreement. docs/templates.md explains every field.
 *
 * Strings in a template may use `{var}` placeholders: the named groups of
 * `versions.pattern` matched against the image tag (e.g. `{major}`), plus
 * `{tag}` and `{path}` of the image.
 */

export interface Template {
  /** Unique name, e.g. `postgres`. */
  name: string;
  description: string;
  /** Repository paths this template handles, after registry normalisation (`postgres`, `bitnami/postgresql`). */
  images: string[];
  /** Where the facts come from (URLs, commits). */
  sources?: string[];
  /** How the tag maps to variables. */
  versions?: TemplateVersions;
  /** A declined image: never split, the reason is reported. */
  decline?: { reason: string; needs?: string };
  /** Base facts; `variants` are merged over it. Required unless `decline` is given. */
  spec?: TemplateSpec;
  /** Every variant whose `when` matches is merged over `spec`, in order. */
  variants?: TemplateVariant[];
}

export interface TemplateVersions {
  /** Regex (JavaScript syntax) applied to the tag; its named groups become variables. */
  pattern: string;
  /** Supported values of each variable, e.g. `{ major: ['14', '15'] }`. */
  supported?: Record<string, string[]>;
  /** Variables used when the tag carries no version (`latest`, `alpine`, digest only). */
  default: Record<string, string>;
}

export interface TemplateVariant {
  name: string;
  /** Regexes over `tag` and over variables; all given must match. Absent = always. */
  when?: Record<string, string>;
  spec: Partial<TemplateSpec>;
}

export interface TemplateSpec {
  /** Numeric uid and gid that own the data and run the server. */
  uid: number;
  gid: number;
  /** Where the image keeps its data (its VOLUME); an existing mount at or above it is shared. */
  dataPath: string;
  /**
   * Environment set identically on the init and the main container, unless the
   * workload sets it itself (e.g. `PGDATA`). The data mount is found from
   * `dataEnv` when the workload sets that variable.
   */
  env?: Record<string, string>;
  /** Name of the env var that points at the data directory, if the image has one (`PGDATA`). */
  dataEnv?: string;
  /** The one-off initialisation, run by the full image; absent = no init container. */
  init?: TemplateInit;
  main: TemplateMain;
  /** Env only the initialisation reads (names, `*` globs); removed from main. `_FILE` forms are included automatically. */
  initOnlyEnv?: string[];
  /**
   * Shell-free probes for main; `readiness` is added when main has none.
   * `healthcheck`: an exec-form check (a client the runtime image has) used
   * where a network probe has no form: Compose healthchecks.
   */
  probes?: { readiness?: ProbeSpec; liveness?: ProbeSpec; healthcheck?: { exec: string[] } };
  /** What a shell-free runtime image must contain (read by `distroless-init image`). */
  runtime?: RuntimeSpec;
  /** How the main image is named; `{path}`, `{tag}` and variables expand. */
  mainImage?: string;
  /**
   * Paths the init step writes and main must see (generated config): each is an
   * emptyDir (Compose: a named volume) mounted at the same path in both.
   */
  shared?: string[];
  /** Set by a variant that cannot be split (e.g. wordpress' apache variant). */
  decline?: { reason: string; needs?: string };
  /** `false`: `dataPath` holds nothing worth keeping (a cache, a pid file), so an added emptyDir raises no DI3005. Default true. */
  persistent?: boolean;
  /** What the split loses or needs from the user (reported as DI3014 on every split with this spec). */
  warnings?: string[];
  /**
   * `false`: the pod gets no `fsGroup`. For servers that refuse a group-writable
   * data directory (postgres: the kubelet's fsGroup change makes it 0770 when the
   * volume root is the data directory) and whose init step, as root, gives the
   * data to the uid itself. `--security fsGroup=true` still sets it. Default true.
   */
  fsGroup?: boolean;
}

export interface TemplateInit {
  /** Exec-form command run in the full image. */
  command: string[];
  /** `server`: the main container's server arguments; or a literal list. */
  args?: 'server' | string[];
  /** `root`: starts as root and drops to uid itself (the official entrypoints do); `uid`: runs as uid. */
  runAs: 'root' | 'uid';
  /** Env set on the init container only (e.g. `NGINX_ENVSUBST_OUTPUT_DIR`). */
  env?: Record<string, string>;
}

export interface TemplateMain {
  /** Names the image's entrypoint accepts as its first argument for the server (`postgres`). */
  serverNames: string[];
  /** Exec-form command of the final binary (absolute path). */
  command: string[];
  /** Arguments the entrypoint used to add, each added unless an argument already starts with one of `unlessArg`. */
  extraArgs?: { args: string[]; unlessArg?: string[]; whenEnv?: string[] }[];
  /** Paths the server writes to; each becomes an emptyDir (Kubernetes) or tmpfs (Compose). */
  writablePaths?: string[];
  /** `true`: the container's own command/args are dropped and main runs exactly `command` (ad-hoc templates). Default false. */
  ignoreArgs?: boolean;
}

export type ProbeSpec =
  | { exec: string[] }
  | { tcpSocket: { port: number } }
  | { httpGet: { path: string; port: number } };

/** A probe in one line, for messages (Kubernetes and Compose alike): `exec ["pg_isready"]`, `tcpSocket :6379`, `httpGet :80/`. */
export function describeProbe(p: ProbeSpec): string {
  if ('exec' in p) return `exec ${JSON.stringify(p.exec)}`;
  if ('tcpSocket' in p) return `tcpSocket :${p.tcpSocket.port}`;
  return `httpGet :${p.httpGet.port}${p.httpGet.path}`;
}

export interface RuntimeSpec {
  /** Binaries to copy with their shared-library closure. */
  binaries: string[];
  /** Libraries loaded at run time (dlopen), globs allowed. */
  modules?: string[];
  /** Data files and directories to copy. */
  files?: string[];
  /** Directories to create, with owner uid/gid and mode. */
  directories?: { path: string; mode: string }[];
  /** Image config of the runtime image. */
  stopSignal?: string;
  env?: Record<string, string>;
  /** Apt/apk packages in the full image that must exist (documentation only). */
  notes?: string;
}
