#!/usr/bin/env node
// Runs a TypeScript entry point of this repository under Node with tsx's loader, so that `npx farside`
// and `npm run bench` work right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register();
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: run-ts.js FILE.ts [args…]\n');
  process.exit(2);
}
process.argv = [process.argv[0] ?? 'node', resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
