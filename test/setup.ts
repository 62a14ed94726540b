// Runs in every test file (vitest.config.ts `setupFiles`): removes the directories the
// file made with tmp() (test/tmp-dirs.ts) once its tests are done.
import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { TMP_DIRS } from './tmp-dirs.js';

afterAll(() => {
  for (const dir of TMP_DIRS.splice(0)) rmSync(dir, { recursive: true, force: true });
});
