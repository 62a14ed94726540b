/**
 * The Helm front doors. Helm 3 runs the default command as a post-renderer
 * executable (`--post-renderer distroless-init`): the stream with its
 * `# Source:` headers goes through the ordinary pipeline, nothing else is needed.
 *
 * Helm 4 runs a `postrenderer/v1` plugin (plugins/helm/distroless-init), which
 * calls the default command with `--helm-plugin`. Helm 4's subprocess runtime
 * (internal/plugin/runtime_subprocess.go, runPostrenderer) captures the
 * plugin's stdout and stderr into buffers and, on a non-zero exit, returns only
 * `plugin "distroless-init" exited with error`: the stderr buffer is never
 * shown (`executeCmd` logs `ExitError.Stderr`, which is empty when Stderr is a
 * buffer). So in plugin mode a failure exits 0 and prints instead one document
 * that Helm refuses with an error that quotes our summary:
 *
 *  1. pkg/postrenderer/postrenderer.go: the output is not empty, so it passes;
 *  2. pkg/action/action.go `splitAndDeannotate`: kyaml parses it and reads its
 *     metadata field by field (GetMeta accepts a mapping as `kind`); the value of
 *     `postrenderer.helm.sh/postrender-filename` becomes the file name;
 *  3. pkg/release/v1/util/manifest_sorter.go `SortManifests`: sigs.k8s.io/yaml
 *     unmarshals the document into `SimpleHead`, whose `kind` is a string, so it
 *     fails with `YAML parse error on <file name>: …`, and Helm prints
 *     `Error: INSTALLATION FAILED: YAML parse error on distroless-init failed:
 *     <summary> …`. Nothing reaches the cluster: the error stops the install
 *     before any resource is built.
 */
import { InputError, UsageError, type Io } from '../cli/io.js';
import { knownFailure } from '../cli/failures.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../core/diagnostics.js';

/** The annotation Helm 4 puts on every document it sends to a post-renderer, and splits the answer by. */
export const HELM4_FILENAME_ANNOTATION = 'postrenderer.helm.sh/postrender-filename';

/** What a plugin-mode run hands back to Helm. */
export interface HelmPluginAnswer {
  stdout: string;
  exitCode: number;
}

/** True when the stream carries Helm 4's file name annotation (Helm 3 streams have `# Source:` comments instead). */
export function isHelm4Stream(text: string): boolean {
  return text.includes(HELM4_FILENAME_ANNOTATION);
}

/**
 * Turns the outcome of one run into what Helm 4 should read: the rewritten stream
 * on success (a comment when the chart rendered nothing, since Helm refuses empty
 * output), or the failure document (exit 0) on error.
 */
export function helmPluginAnswer(stdout: string, exitCode: number, errors: readonly string[]): HelmPluginAnswer {
  if (exitCode === 0) {
    return { stdout: stdout.trim() ? stdout : '# distroless-init: the chart rendered no manifests\n', exitCode: 0 };
  }
  return { stdout: helmFailureDocument(summarise(errors, exitCode)), exitCode: 0 };
}

/** The error lines of a run's diagnostics, as printed on stderr. */
export function errorLines(diagnostics: readonly Diagnostic[]): string[] {
  return hasErrors(diagnostics) ? diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic) : [];
}

/**
 * Runs one command body in Helm 4 plugin mode: stdout is held back until the
 * end, stderr is still written (and kept for the summary), and usage or input
 * errors thrown by the body become the failure document too.
 */
export async function runAsHelmPlugin(io: Io, body: (io: Io) => Promise<number>): Promise<number> {
  let out = '';
  const errors: string[] = [];
  const inner: Io = {
    ...io,
    stdout: { write: (s: string) => (out += s) },
    stderr: {
      write: (s: string) => {
        for (const line of s.split('\n')) if (/(^|: )error\b/.test(line) || line.startsWith('distroless-init: ')) errors.push(line);
        return io.stderr.write(s);
      },
    },
  };
  let code: number;
  try {
    code = await body(inner);
  } catch (e) {
    const coded = knownFailure(e);
    const known = e instanceof UsageError || e instanceof InputError || coded !== undefined;
    const message = coded ?? (known ? (e as Error).message : `internal error: ${(e as Error).message} (this is a bug: please report it with the chart)`);
    io.stderr.write(`distroless-init: ${known ? message : ((e as Error).stack ?? message)}\n`);
    errors.push(message);
    code = e instanceof UsageError ? 2 : 1;
  }
  const answer = helmPluginAnswer(out, code, errors);
  io.stdout.write(answer.stdout);
  return answer.exitCode;
}

function summarise(errors: readonly string[], exitCode: number): string {
  const lines = errors.map((l) => l.trim().replace(/^distroless-init:\s*/, '')).filter(Boolean);
  if (!lines.length) return `exited with code ${exitCode} and no message`;
  const shown = lines.slice(0, 3).join('; ');
  return lines.length > 3 ? `${shown}; and ${lines.length - 3} more` : shown;
}

/**
 * A document Helm 4 refuses while quoting `summary` (see the module comment).
 * The summary is one line; a `/` followed by `_` is spaced so that Helm does not
 * take the file name for a partial (`_*`) and skip it.
 */
export function helmFailureDocument(summary: string): string {
  const oneLine = summary.replace(/\s+/g, ' ').trim().replace(/\/(?=_)/g, '/ ');
  const fileName = `distroless-init failed: ${oneLine} (the manifests were not changed; Helm 4 hides a post-renderer's stderr, so this document carries the error)`;
  return [
    '# distroless-init could not rewrite the manifests. Helm 4 does not show a post-renderer',
    "# plugin's stderr, so the error travels in this document's file name annotation, and",
    '# Helm stops on the `kind` below, quoting it: "YAML parse error on distroless-init failed: …".',
    'apiVersion: distroless-init.io/v1alpha1',
    'kind:',
    '  error: distroless-init failed, see the message above',
    'metadata:',
    '  name: distroless-init-error',
    '  annotations:',
    `    ${HELM4_FILENAME_ANNOTATION}: ${JSON.stringify(fileName)}`,
    '',
  ].join('\n');
}
