import { defineConfig } from 'vitest/config';

// Tiers (design.md principle 11): unit beside the code, fuzz, integration against real components, and
// interop against a real uD3TN when FARSIDE_UD3TN is set. Each tier is a Vitest project.
const root = new URL('..', import.meta.url).pathname;
const exclude = ['**/node_modules/**', '**/out/**', '**/.farside-test/**'];

export default defineConfig({
  test: {
    root,
    projects: [
      {
        test: {
          name: 'unit',
          root,
          include: ['{shared,electron,renderer,bench}/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts', '**/*.fuzz.test.ts', '**/*.interop.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'fuzz',
          root,
          include: ['{shared,electron}/**/*.fuzz.test.ts'],
          exclude,
          testTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'int',
          root,
          include: ['{shared,electron}/**/*.int.test.ts'],
          exclude,
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'interop',
          root,
          include: ['{shared,electron}/**/*.interop.test.ts'],
          exclude,
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
