// A prebuilt bundle of `farside bpa` (electron/cli/bpa-main.ts and the BPA modules it imports), made
// with esbuild (installed with tsx) on first use and again whenever one of its source files is newer
// than it. A BPA process that runs the bundle has no tsx loader (a second V8 isolate on its own thread)
// and none of the other commands' modules: about 70 MiB less resident memory per process (147 → 76 MiB
// idle), which matters where tests and benchmarks run several nodes.
//
// Robustness: packages stay external (resolved from node_modules next to the bundle); the bundle and
// its list of inputs are written to temporary files and renamed, so processes starting together never
// see half a file; anything that goes wrong (no esbuild, a read-only checkout, a syntax error) returns
// null and bin/farside.js runs the command through tsx as before.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'electron/cli/bpa-main.ts';

/** Modification time in ms, or undefined when the file is missing. */
function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** True when the bundle exists and none of its inputs changed after it was written. */
function fresh(bundle, inputsFile, root) {
  const built = mtimeOf(bundle);
  if (built === undefined) return false;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return false;
  for (const input of inputs) {
    const t = typeof input === 'string' ? mtimeOf(join(root, input)) : undefined;
    if (t === undefined || t > built) return false;
  }
  return true;
}

/**
 * The file URL of an up-to-date bundle of `farside bpa` (built now when needed), or null when it cannot
 * be had. `opts.root`: the repository (default: this file's); `opts.outDir`: where the bundle goes
 * (default <root>/out/prebuilt).
 */
export async function prebuiltBpa(opts = {}) {
  const root = opts.root ?? ROOT;
  const outDir = opts.outDir ?? join(root, 'out', 'prebuilt');
  const bundle = join(outDir, 'farside-bpa.mjs');
  const inputsFile = join(outDir, 'farside-bpa.inputs.json');
  try {
    if (!fresh(bundle, inputsFile, root)) {
      const { buildSync } = await import('esbuild');
      // buildSync runs esbuild once and leaves no service process behind in a long-running node.
      const result = buildSync({
        absWorkingDir: root,
        entryPoints: [ENTRY],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        metafile: true,
        write: false,
        outfile: bundle,
        logLevel: 'silent',
      });
      const output = result.outputFiles?.[0];
      if (output === undefined) return null;
      mkdirSync(outDir, { recursive: true });
      const tmp = `.${process.pid}.tmp`;
      writeFileSync(inputsFile + tmp, JSON.stringify(Object.keys(result.metafile.inputs)));
      renameSync(inputsFile + tmp, inputsFile);
      writeFileSync(bundle + tmp, output.contents);
      renameSync(bundle + tmp, bundle);
    }
    return pathToFileURL(bundle).href;
  } catch {
    return null;
  }
}
