/**
 * Child process of store.int.test.ts: puts bundles into the store at argv[2] without end, and prints each
 * id on stdout (a synchronous write) only after put() returned, until the test kills it with SIGKILL.
 * Usage: node --import tsx/esm put-loop.ts <db path> <round>
 */
import { writeSync } from 'node:fs';
import { createBundleStore } from '../bundle-store';
import { loopBundleBytes, loopBundleSize } from './loop-bundles';

const [path, round] = process.argv.slice(2);
if (path === undefined || round === undefined) {
  process.stderr.write('usage: put-loop.ts <db path> <round>\n');
  process.exit(2);
}
const opened = createBundleStore({ path, maxBytes: 8 * 1024 ** 3, maxBundles: 1_000_000, clock: Date.now });
if (!opened.ok) {
  process.stderr.write(`${opened.error.message}\n`);
  process.exit(1);
}
const store = opened.value;
for (let i = 0; ; i++) {
  const id = `dtn://earth.dtn/smtp ${round} ${i}`;
  const r = store.put({
    id,
    destination: 'dtn://mars.dtn/smtp',
    source: 'dtn://earth.dtn/smtp',
    createdAt: Date.now(),
    expiresAt: Date.now() + 86_400_000,
    state: 'forward',
    reportFlags: 0,
    bytes: loopBundleBytes(id, loopBundleSize(i)),
  });
  if (!r.ok) {
    process.stderr.write(`${r.error.code}: ${r.error.message}\n`);
    process.exit(1);
  }
  writeSync(1, `${id}\n`);
}
