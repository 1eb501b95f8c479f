/**
 * `farside bpa` on its own: the entry of the prebuilt bundle bin/farside.js runs for that command
 * (bin/prebuilt.js), so that a BPA process loads the BPA's modules and nothing else: no TypeScript
 * loader thread, no other command's dependencies. The same behaviour as main.ts for this one command.
 */
import { bpaCommand } from './commands/bpa';
import { processIo } from './io';

/** `argv`: the arguments after `bpa`. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  const io = processIo(process.stdin, process.stdout, process.stderr, controller.signal);
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      await io.stdout(bpaCommand.help.endsWith('\n') ? bpaCommand.help : `${bpaCommand.help}\n`);
      return 0;
    }
    return await bpaCommand.run(argv, io);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
