/**
 * Diagnostics are values, never exceptions: every problem the tool finds is a
 * `Diagnostic` with a stable code (documented in docs/errors.md), a severity,
 * and where it is (resource, field path, file, line and column). They are
 * turned into text only at the edge (CLI stderr, KRM results, JSON).
 */

export type Severity = 'error' | 'warning' | 'info';

export interface ResourceRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface Diagnostic {
  /** Stable code, e.g. `DI1001`. See docs/errors.md. */
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** File name or `<stdin>`. */
  file?: string;
  /** 1-based line and column in `file`. */
  line?: number;
  column?: number;
  /** Index of the YAML document in the stream (0-based). */
  document?: number;
  resource?: ResourceRef;
  /** Field path inside the resource, e.g. `spec.template.spec.containers[0].image`. */
  field?: string;
}

/**
 * Every code the tool emits, with its default severity and a short title.
 * docs/errors.md documents each one; a test keeps the two in agreement.
 */
export const CODES = {
  // input and usage (DI1xxx)
  DI1001: { severity: 'error', title: 'YAML syntax error' },
  DI1002: { severity: 'error', title: 'input cannot be read' },
  DI1003: { severity: 'error', title: 'document is not a mapping' },
  DI1004: { severity: 'error', title: 'YAML alias expansion too large' },
  DI1005: { severity: 'error', title: 'input is not text' },
  DI1006: { severity: 'error', title: 'malformed workload' },
  DI1007: { severity: 'warning', title: 'YAML warning' },
  DI1008: { severity: 'error', title: 'invalid function config (KRM functionConfig, --config file)' },
  DI1009: { severity: 'error', title: 'not a Compose file' },
  DI1010: { severity: 'error', title: 'Compose file does not match the compose-spec schema' },
  DI1011: { severity: 'error', title: 'YAML nests too deep' },
  DI1012: { severity: 'error', title: 'input too large' },
  DI1013: { severity: 'error', title: 'input is not a regular file or a pipe' },
  DI1014: { severity: 'error', title: 'output cannot be written' },
  // catalogue (DI2xxx)
  DI2001: { severity: 'error', title: 'template directory cannot be read' },
  DI2002: { severity: 'error', title: 'template is not valid YAML' },
  DI2003: { severity: 'error', title: 'template does not match the schema' },
  DI2004: { severity: 'error', title: 'template breaks a semantic rule' },
  DI2005: { severity: 'error', title: 'two templates claim the same image' },
  // planning (DI3xxx)
  DI3001: { severity: 'info', title: 'no template for this image' },
  DI3002: { severity: 'info', title: 'workload skipped by annotation' },
  DI3003: { severity: 'info', title: 'already split' },
  DI3004: { severity: 'warning', title: 'image version not supported by the template' },
  DI3005: { severity: 'warning', title: 'data volume added as emptyDir: data is ephemeral' },
  DI3006: { severity: 'warning', title: 'main image must be built' },
  DI3007: { severity: 'warning', title: 'image tag does not pin a version' },
  DI3008: { severity: 'warning', title: 'init container runs as the data uid because the pod forbids root' },
  DI3009: { severity: 'warning', title: 'image declined: its server launcher is a shell script' },
  DI3010: { severity: 'warning', title: 'command override replaces the template entrypoint' },
  DI3011: { severity: 'error', title: 'invalid --image or image annotation' },
  DI3012: { severity: 'info', title: 'container split' },
  DI3013: { severity: 'warning', title: 'uid conflicts with the securityContext' },
  DI3014: { severity: 'warning', title: 'template warning: the split loses something or needs a user change' },
  DI3015: { severity: 'error', title: 'invalid custom-entrypoint annotations' },
  DI3016: { severity: 'warning', title: 'Compose service shares an anchor with other services' },
  DI3017: { severity: 'warning', title: "the container's own looser security setting is overridden on main" },
  DI3018: { severity: 'warning', title: 'the init step needs a capability the container does not grant' },
  DI3019: { severity: 'info', title: 'init container confinement' },
  DI3020: { severity: 'warning', title: "data directory moved onto the user's volume" },
  DI3021: { severity: 'error', title: "the data directory is not on the user's volume" },
  DI3022: { severity: 'error', title: 'a Compose file given to the Kubernetes filter' },
  DI3023: { severity: 'warning', title: 'the data directory is on a tmpfs: left unchanged' },
  DI3040: { severity: 'warning', title: 'image from a private registry treated as the catalogue image of the same name' },
  DI3041: { severity: 'warning', title: 'image from a private registry looks like a catalogue image: left unchanged' },
  // shell lint of the main container (DI4xxx)
  DI4001: { severity: 'info', title: 'shell probe replaced by a shell-free probe' },
  DI4002: { severity: 'warning', title: 'probe or hook needs a shell and was not replaced' },
  DI4003: { severity: 'warning', title: 'command starts a shell' },
  DI4004: { severity: 'info', title: 'lifecycle hook removed' },
  DI4005: { severity: 'warning', title: 'init-only secret still present on main' },
  DI4006: { severity: 'warning', title: 'healthcheck needs a shell and was removed' },
  DI4007: { severity: 'warning', title: 'a dependent waits for a healthcheck that was removed' },
  DI4008: { severity: 'warning', title: 'a server setting runs a shell' },
  // runtime-image recipe (DI5xxx)
  DI5001: { severity: 'error', title: 'no template for the image to build a runtime image from' },
  DI5002: { severity: 'error', title: 'template cannot describe a runtime image' },
  DI5003: { severity: 'warning', title: 'runtime image build: a loaded module\'s run-time data is missing from the full image' },
  DI5004: { severity: 'warning', title: 'runtime recipe for an image from a private registry: assumed to be the catalogue image' },
  // admission webhook (DI6xxx)
  DI6001: { severity: 'error', title: 'malformed AdmissionReview (HTTP 400)' },
  DI6002: { severity: 'error', title: 'webhook request body too large (HTTP 413)' },
  DI6003: { severity: 'warning', title: 'pod admitted unchanged: the split reported an error' },
  DI6004: { severity: 'warning', title: 'pod admitted unchanged: internal error in the webhook' },
  DI6005: { severity: 'error', title: 'webhook request timed out (HTTP 408)' },
  DI6006: { severity: 'info', title: 'not a pod CREATE: admitted unchanged' },
  DI6007: { severity: 'error', title: 'webhook configuration reload failed: the last good one stays' },
  DI6008: { severity: 'warning', title: 'TLS or connection error from a webhook client' },
  DI6009: { severity: 'info', title: 'admission warnings left out' },
  // internal (DI9xxx)
  DI9001: { severity: 'error', title: 'internal error (please report a bug)' },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type DiagnosticCode = keyof typeof CODES;

/** Builds a diagnostic with the code's default severity. */
export function diag(
  code: DiagnosticCode,
  message: string,
  where: Omit<Diagnostic, 'code' | 'severity' | 'message'> = {},
): Diagnostic {
  return { code, severity: CODES[code].severity, message, ...where };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * One line per diagnostic: `file:line:col: severity DI1001 Kind/name field: message`.
 * Control characters that came from the input (a resource name with a newline
 * or a terminal escape) are written as `\xNN`: one diagnostic stays one line,
 * and the input cannot drive the terminal.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const loc = [d.file ?? '<input>', d.line, d.column].filter((p) => p !== undefined).join(':');
  const res = d.resource?.kind ? ` ${d.resource.kind}/${d.resource.name ?? '?'}` : '';
  const field = d.field && !d.message.startsWith(d.field) ? ` ${d.field}` : '';
  return escapeControls(`${loc}: ${d.severity} ${d.code}${res}${field}: ${d.message}`);
}

/** Control characters (C0, DEL, C1, line and paragraph separators) as `\xNN` / `\uNNNN`. */
export function escapeControls(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const n = c.charCodeAt(0);
    return n > 0xff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\x${n.toString(16).padStart(2, '0')}`;
  });
}

/**
 * Appends `items` to `target` one by one: `target.push(...items)` passes each
 * item as an argument, and a 20 MB input's 300,000 diagnostics overflow the stack.
 */
export function pushAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) target.push(item);
}
