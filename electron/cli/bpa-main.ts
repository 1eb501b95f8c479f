/**
 * `farside bpa` on its own: the entry of the prebuilt bundle bin/farside.js runs for that command
 * (bin/prebuilt.js), so that a BPA process loads the BPA's modules and nothing else: no TypeScript
 * loader thread, no other command's dependencies. The same behaviour as main.ts for this one command.
 */
import { bpaCommand } from './commands/bpa';
import { printedHelp, withProcessIo } from './io';

/** `argv`: the arguments after `bpa`. */
export function main(argv: string[]): Promise<number> {
  return withProcessIo(async (io) => ((await printedHelp(bpaCommand, argv, io)) ? 0 : bpaCommand.run(argv, io)));
}
