/**
 * Helm 4 plugin mode of the default command (`--helm-plugin`): the command's
 * output and errors are handed back the way Helm 4 shows them (see
 * src/adapters/helm.ts for why a failure exits 0 with a failure document).
 */
import { helmPluginAnswer } from '../adapters/helm.js';
import { InputError, UsageError } from '../shared/errors.js';
import { knownFailure } from './failures.js';
import type { Io } from './io.js';

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

