import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the end-to-end suite (real container runtime) runs through `npm run test:e2e`
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // removes the temporary directories each test file made with tmp() (test/tmp-dirs.ts)
    setupFiles: ['test/setup.ts'],
    // every fast path (src/core/fast-yaml.ts, the fast renderer) is checked against yaml on every document the tests read
    env: { DISTROLESS_INIT_SELF_CHECK: '1' },
  },
});
