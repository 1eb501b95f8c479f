#!/usr/bin/env node
// The `farside` command: loads the TypeScript CLI (electron/cli) through tsx's loader. `farside bpa`
// runs from a prebuilt bundle of the BPA's modules when one can be had (prebuilt.js: less memory per
// node), else through tsx like every other command.
const argv = process.argv.slice(2);

/** The bundle's main(argv after "bpa"), or null. */
async function prebuiltBpaMain() {
  try {
    const { prebuiltBpa } = await import('./prebuilt.js');
    const url = await prebuiltBpa();
    return url === null ? null : (await import(url)).main;
  } catch {
    return null;
  }
}

const bpaMain = argv[0] === 'bpa' ? await prebuiltBpaMain() : null;
if (bpaMain !== null) {
  process.exitCode = await bpaMain(argv.slice(1));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../electron/cli/main.ts');
  process.exitCode = await main(argv);
}
