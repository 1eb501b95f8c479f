/**
 * `farside send`: one RFC 5322 message from stdin → one BSMTP object (RFC 2442; protocols.md §2.4) →
 * one bundle through the node's AAP (protocols.md §0 item 1). The envelope comes from the options, so
 * every recipient (Bcc included) is named with --to; the message itself is sent as it is.
 */
import { err, type Result } from '../../../shared/errors';
import { encodeBsmtpMessage, type DsnCondition, type DsnNotify, type EncodeEnvelope } from '../../../shared/protocol/bsmtp';
import { checkDestination } from '../../services/aap-client/endpoint';
import { listOption, parseOptions, stringOption } from '../args';
import { failure, readAll, usageError, type CliCommand, type CliIo } from '../io';
import { AAP_HELP, AAP_OPTIONS, commandError, openAapSession } from './aap-session';

const DEFAULT_AGENT = 'farside-send';

const help = `Usage: farside send --aap tcp:HOST:PORT|unix:PATH [--aap2] --destination EID --from ADDR --to ADDR [--to ADDR …]
                    [--ehlo NAME] [--notify NEVER|SUCCESS,FAILURE,DELAY] [--envid ID] < message.eml

Sends the RFC 5322 message on standard input as one Batch SMTP bundle (RFC 2442) to EID, usually the
remote gateway's dtn://NODE/email. The SMTP envelope is built from the options: MAIL FROM:<--from> and one
RCPT TO per --to (list Bcc recipients here too; the message headers are not read). Prints the bundle ID
as one JSON line: {"source","creationTime","sequence","destination","payloadLength"}, creationTime in
DTN milliseconds (since 2000-01-01T00:00:00Z). The node only confirms that it accepted the bundle.

Mail options:
  --destination EID   the receiving gateway's endpoint (validated before anything is sent)
  --from ADDR         envelope sender ("" for the null reverse-path <>)
  --to ADDR           envelope recipient, repeatable
  --ehlo NAME         EHLO name (default: the domain of --from)
  --notify LIST       DSN request for every recipient (RFC 3461): NEVER, or SUCCESS,FAILURE,DELAY
  --envid ID          DSN envelope identifier (RFC 3461)

${AAP_HELP.replace('%AGENT%', DEFAULT_AGENT)}`;

function parseNotify(text: string | undefined): Result<DsnNotify | undefined> {
  if (text === undefined) return { ok: true, value: undefined };
  const words = text.toUpperCase().split(',');
  if (words.length === 1 && words[0] === 'NEVER') return { ok: true, value: 'NEVER' };
  const allowed: readonly DsnCondition[] = ['SUCCESS', 'FAILURE', 'DELAY'];
  const conditions: DsnCondition[] = [];
  for (const w of words) {
    const c = allowed.find((a) => a === w);
    if (!c || conditions.includes(c)) return err('INVALID_ARGUMENT', `--notify takes NEVER or a list of SUCCESS,FAILURE,DELAY, got '${text}'`);
    conditions.push(c);
  }
  return { ok: true, value: conditions };
}

function has8bit(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return true;
  return false;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(argv, {
    ...AAP_OPTIONS,
    destination: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string', multiple: true },
    ehlo: { type: 'string' },
    notify: { type: 'string' },
    envid: { type: 'string' },
  });
  if (!parsed.ok) {
    return usageError(io, 'send', parsed.error);
  }
  const values = parsed.value.values;
  const destination = stringOption(values, 'destination');
  const from = stringOption(values, 'from');
  const to = listOption(values, 'to');
  if (destination === undefined || from === undefined || to.length === 0) {
    return usageError(io, 'send', { code: 'INVALID_ARGUMENT', message: '--destination, --from and at least one --to are required' });
  }
  const checked = checkDestination(destination);
  if (!checked.ok) {
    return usageError(io, 'send', checked.error);
  }
  const notify = parseNotify(stringOption(values, 'notify'));
  if (!notify.ok) {
    return usageError(io, 'send', notify.error);
  }
  const ehlo = stringOption(values, 'ehlo') ?? (from.includes('@') ? from.slice(from.lastIndexOf('@') + 1) : undefined);
  if (ehlo === undefined || ehlo === '') {
    return usageError(io, 'send', { code: 'INVALID_ARGUMENT', message: '--ehlo is required when --from has no domain' });
  }

  const message = await readAll(io.stdin);
  if (message.length === 0) {
    return usageError(io, 'send', { code: 'INVALID_ARGUMENT', message: 'no message on standard input' });
  }
  const envid = stringOption(values, 'envid');
  const envelope: EncodeEnvelope = {
    mailFrom: from,
    // RFC 6152: announce 8-bit content; SIZE as RFC 1870 counts it.
    ...(has8bit(message) ? { body: '8BITMIME' as const } : {}),
    size: 'auto',
    ...(envid !== undefined ? { envid } : {}),
    rcptTo: to.map((address) => ({ address, ...(notify.value !== undefined ? { notify: notify.value } : {}) })),
  };
  const bsmtp = encodeBsmtpMessage({ ehlo, envelope, message });
  if (!bsmtp.ok) {
    return failure(io, 'send', bsmtp.error);
  }

  const session = await openAapSession(values, io, DEFAULT_AGENT);
  if (!session.ok) {
    return commandError(io, 'send', session.error);
  }
  try {
    const sent = await session.value.client.send(destination, bsmtp.value);
    if (!sent.ok) {
      return failure(io, 'send', sent.error);
    }
    const { source, creationTime, sequence } = sent.value;
    await io.stdout(`${JSON.stringify({ source, creationTime, sequence, destination, payloadLength: bsmtp.value.length })}\n`);
    return 0;
  } finally {
    await session.value.close();
  }
}

export const sendCommand: CliCommand = {
  path: ['send'],
  summary: 'send one mail (stdin) as a BSMTP bundle through a node\'s AAP; prints the bundle ID',
  help,
  run,
};
