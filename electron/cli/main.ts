/**
 * The `farside` command: thin argument parsing over shared/protocol and the services (design.md).
 * Each command lives in commands/ and is listed in commands/index.ts.
 */
import { commands } from './commands/index';
import { EXIT_USAGE, printedHelp, withProcessIo, type CliCommand, type CliIo } from './io';

function overview(): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  const lines = commands.map((c) => `  farside ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'farside — crew mail over the DTN Bundle Protocol v7',
    '',
    'Usage: farside <command> [options]   (farside <command> --help for details)',
    '',
    ...lines,
    '',
  ].join('\n');
}

/** Longest command path that prefixes argv. */
function findCommand(argv: readonly string[]): { command: CliCommand; rest: string[] } | null {
  let best: CliCommand | null = null;
  for (const c of commands) {
    if (c.path.length <= argv.length && c.path.every((w, i) => argv[i] === w)) {
      if (!best || c.path.length > best.path.length) best = c;
    }
  }
  return best ? { command: best, rest: argv.slice(best.path.length) } : null;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    await io.stdout(overview());
    return argv.length === 0 ? EXIT_USAGE : 0;
  }
  const found = findCommand(argv);
  if (!found) {
    // A group word alone ("farside bundle") lists its subcommands.
    const group = commands.filter((c) => c.path[0] === argv[0]);
    if (group.length > 0 && argv.length === 1) {
      await io.stdout(group.map((c) => `farside ${c.path.join(' ')}  ${c.summary}`).join('\n') + '\n');
      return EXIT_USAGE;
    }
    io.stderr(`farside: unknown command '${argv.join(' ')}' (see farside --help)`);
    return EXIT_USAGE;
  }
  if (await printedHelp(found.command, found.rest, io)) return 0;
  return found.command.run(found.rest, io);
}

export function main(argv: string[]): Promise<number> {
  return withProcessIo((io) => runCli(argv, io));
}
