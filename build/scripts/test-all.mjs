#!/usr/bin/env node
// `npm test`: typecheck, lint and every test tier, then one plain closing line "N passed, N failed"
// (environment.md §8.4: CI reads that line). Exits non-zero when anything failed or nothing ran.
//
// Tiers: unit (beside the code), fuzz (10^5 inputs per decoder; FARSIDE_FUZZ_RUNS for more),
// int (real sockets, processes, Dovecot, Postfix), interop (only with FARSIDE_UD3TN; skipped otherwise),
// e2e (Playwright in Debian's Chromium, once the UI exists).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const outDir = join(root, 'out', 'test-results');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);
const only = process.env.FARSIDE_TIERS ? new Set(process.env.FARSIDE_TIERS.split(',')) : null;
const wanted = (tier) => only === null || only.has(tier);

const rows = [];
let passed = 0;
let failed = 0;
let skipped = 0;

function run(cmd, args) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return { status: r.status ?? 1, seconds: (Date.now() - started) / 1000 };
}

function check(name, cmd, args) {
  if (!wanted(name)) return;
  console.log(`\n=== ${name}: ${[cmd.replace(root + '/', ''), ...args].join(' ')}`);
  const r = run(cmd, args);
  const ok = r.status === 0;
  if (ok) passed += 1;
  else failed += 1;
  rows.push({ name, passed: ok ? 1 : 0, failed: ok ? 0 : 1, skipped: 0, seconds: r.seconds });
}

function vitestTier(name) {
  if (!wanted(name)) return;
  const json = join(outDir, `${name}.json`);
  console.log(`\n=== ${name} tests`);
  const r = run(bin('vitest'), [
    'run', '--config', 'build/vitest.config.ts', '--project', name, '--passWithNoTests',
    '--reporter=default', '--reporter=json', `--outputFile.json=${json}`,
  ]);
  let p = 0;
  let f = 0;
  let s = 0;
  if (existsSync(json)) {
    const report = JSON.parse(readFileSync(json, 'utf8'));
    p = report.numPassedTests ?? 0;
    f = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
    s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  }
  // A runner that crashed or failed without reporting a failed test still counts as a failure.
  if (r.status !== 0 && f === 0) f = 1;
  passed += p;
  failed += f;
  skipped += s;
  rows.push({ name, passed: p, failed: f, skipped: s, seconds: r.seconds });
}

check('typecheck', bin('tsc'), ['-b']);
check('lint', bin('eslint'), ['.', '--max-warnings=0']);
vitestTier('unit');
vitestTier('fuzz');
vitestTier('int');
vitestTier('interop');

console.log('\nSummary by tier:');
for (const row of rows) {
  console.log(`  ${row.name.padEnd(10)} ${String(row.passed).padStart(5)} ok  ${String(row.failed).padStart(3)} failing  ${String(row.skipped).padStart(3)} skipped  ${row.seconds.toFixed(1)} s`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
