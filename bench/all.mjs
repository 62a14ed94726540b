// `npm run bench`: the start-up and throughput report (bench/run.mjs, with the admission webhook) and
// the linearity table (bench/linear.mjs), each given this command's arguments (`npm run bench --
// --write` writes both parts of docs/performance.md; `--quick` shortens both).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let status = 0;
for (const script of ['run.mjs', 'linear.mjs']) {
  const r = spawnSync(process.execPath, [join(here, script), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
