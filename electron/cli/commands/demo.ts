/**
 * `farside demo`: the two-site demo (electron/cli/demo/run-demo.ts), what `npm run demo` runs after
 * installing Dovecot and Postfix. Thin: options in, the demo's lines out, exit status from its outcome.
 */
import { parseOptions, stringOption } from '../args';
import { DEMO_DEFAULTS, runDemo } from '../demo/run-demo';
import { wantsColour } from '../demo/style';
import { failure, usageError, type CliCommand, type CliIo } from '../io';

/** Longest one-way light time the demo accepts: its whole run must stay well under two minutes. */
const MAX_OWLT_SECONDS = 20;

const help = `Usage: farside demo [--owlt SECONDS] [--keep] [--quiet]

Starts two sites, Earth and Mars, each a private Dovecot, Postfix, mail gateway and embedded BPA, in a
fresh temporary directory on ports chosen at run time, and links the two BPAs over MTCP with a contact
plan both ways. Alice (alice@earth.example) sends Bob (bob@mars.example) a mail with a ${DEMO_DEFAULTS.attachmentBytes / (1024 * 1024)} MiB
attachment, asking for DSNs; the nodes fragment it (bundles of at most ${DEMO_DEFAULTS.maxBundleSize / 1024} KiB); Bob replies. Every step is
printed as it happens, with times since the start and the real identifiers: queued at the gateway, handed
to the node with its bundle ID, fragments forwarded over the contact, received and reassembled at Mars,
delivered into Bob's IMAP inbox (attachment size and SHA-256 checked), the DSN back in Alice's inbox; the
same for the reply; then a summary. Everything is stopped at the end and checked gone.

Needs Dovecot and Postfix (\`npm run demo\` installs them first) and root (the Postfix master).

Options:
  --owlt SECONDS  one-way light time of the link (default ${DEMO_DEFAULTS.owltMs / 1000}; at most ${MAX_OWLT_SECONDS}; decimals allowed)
  --keep          keep the temporary directory (logs, bundle stores, mailboxes) and print where it is
  --quiet         print only the summary and the outcome

Exit status: 0 when every step happened, 1 when one failed or timed out (the reason on the last line).`;

async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(argv, { owlt: { type: 'string' }, keep: { type: 'boolean' }, quiet: { type: 'boolean' } });
  if (!parsed.ok) {
    return usageError(io, 'demo', parsed.error.message);
  }
  const owltText = stringOption(parsed.value.values, 'owlt');
  const owlt = owltText === undefined ? DEMO_DEFAULTS.owltMs / 1000 : Number(owltText);
  if (owltText !== undefined && (!/^[0-9]+(\.[0-9]+)?$/.test(owltText) || owlt > MAX_OWLT_SECONDS)) {
    return usageError(io, 'demo', `--owlt needs a number of seconds from 0 to ${MAX_OWLT_SECONDS}, got '${owltText}'`);
  }
  // Lines are written in order; the demo never waits for the terminal.
  const write = (line: string): void => {
    void io.stdout(`${line}\n`).catch(() => undefined);
  };
  const report = await runDemo({
    owltMs: Math.round(owlt * 1000),
    keep: parsed.value.values['keep'] === true,
    quiet: parsed.value.values['quiet'] === true,
    colour: wantsColour(process.stdout.isTTY === true, io.env),
    write,
    signal: io.signal,
  });
  if (report.error !== undefined) {
    return failure(io, 'demo', report.error);
  }
  return 0;
}

export const demoCommand: CliCommand = {
  path: ['demo'],
  summary: 'two sites, Earth and Mars, and a mail with a fragmented attachment between them, step by step',
  help,
  run,
};
