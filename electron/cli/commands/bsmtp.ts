/**
 * `farside bsmtp encode` and `farside bsmtp decode`: RFC 2442 Batch SMTP on standard input/output.
 */
import { createHash } from 'node:crypto';
import { decodeBsmtp, encodeBsmtpMessage } from '../../../shared/protocol/bsmtp';
import type { DsnCondition, DsnNotify, EncodeRecipient } from '../../../shared/protocol/bsmtp';
import { listOption, parseOptions, stringOption } from '../args';
import { failure, readAll, usageError, type CliCommand } from '../io';

const ENCODE_HELP = `Usage: farside bsmtp encode --from ADDR --to ADDR [--to ADDR …] [--ehlo NAME] [--envid ID]
                            [--notify NEVER|SUCCESS,FAILURE,DELAY] [--ret FULL|HDRS] [--8bit]

Reads an RFC 5322 message on standard input and writes it as Batch SMTP (RFC 2442) on standard output:
EHLO, MAIL FROM with SIZE (and BODY, RET, ENVID when given), one RCPT TO per --to (Bcc recipients
included: give every envelope recipient), DATA, the dot-stuffed message with CRLF line ends, ".", QUIT.

  --from ADDR      reverse-path (use "" for the null reverse-path <>)
  --to ADDR        a recipient; repeat for each
  --ehlo NAME      the EHLO name (default: the domain of --from, else "localhost")
  --envid ID       RFC 3461 envelope identifier (written as xtext)
  --notify LIST    RFC 3461 NOTIFY for every recipient: NEVER, or a comma list of SUCCESS,FAILURE,DELAY;
                   an ORCPT=rfc822;<recipient> is then written too
  --ret FULL|HDRS  RFC 3461 RET
  --8bit           BODY=8BITMIME (RFC 6152)
`;

const DECODE_HELP = `Usage: farside bsmtp decode

Reads Batch SMTP (RFC 2442) on standard input, strictly: bare CR or LF, NUL, over-long lines, a missing
"." terminator, SMTP smuggling variants and commands RFC 2442 does not allow are refused whole.
Writes JSON: {"transactions": [{"mailFrom", "mailParams", "rcptTo": [{"address", "params"}],
"messageLength", "messageSha256"}]}. Addresses are written without angle brackets (the null reverse-path
as ""); params map each ESMTP keyword, upper-cased, to its value as written (null when it has none);
messageLength and messageSha256 are of the message after dot-unstuffing, its final CRLF included.
Invalid input: exit status 1 and one line on standard error.
`;

function parseNotify(text: string): DsnNotify | string {
  const words = text.toUpperCase().split(',').map((w) => w.trim());
  if (words.length === 1 && words[0] === 'NEVER') return 'NEVER';
  const allowed: readonly DsnCondition[] = ['SUCCESS', 'FAILURE', 'DELAY'];
  const out: DsnCondition[] = [];
  for (const w of words) {
    const c = allowed.find((a) => a === w);
    if (!c) return `--notify: '${w}' is not NEVER, SUCCESS, FAILURE or DELAY (NEVER stands alone)`;
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

export const bsmtpEncode: CliCommand = {
  path: ['bsmtp', 'encode'],
  summary: 'RFC 5322 message on stdin → Batch SMTP on stdout',
  help: ENCODE_HELP,
  async run(argv, io) {
    const parsed = parseOptions(argv, {
      from: { type: 'string' },
      to: { type: 'string', multiple: true },
      ehlo: { type: 'string' },
      envid: { type: 'string' },
      notify: { type: 'string' },
      ret: { type: 'string' },
      '8bit': { type: 'boolean' },
    });
    if (!parsed.ok) return usageError(io, 'bsmtp encode', parsed.error.message);
    const v = parsed.value.values;
    const from = stringOption(v, 'from');
    const to = listOption(v, 'to');
    if (from === undefined || to.length === 0) return usageError(io, 'bsmtp encode', '--from and at least one --to are required');
    const notifyText = stringOption(v, 'notify');
    let notify: DsnNotify | undefined;
    if (notifyText !== undefined) {
      const n = parseNotify(notifyText);
      if (typeof n === 'string') return usageError(io, 'bsmtp encode', n);
      notify = n;
    }
    const ret = stringOption(v, 'ret')?.toUpperCase();
    if (ret !== undefined && ret !== 'FULL' && ret !== 'HDRS') return usageError(io, 'bsmtp encode', '--ret is FULL or HDRS');
    const rcptTo: EncodeRecipient[] = to.map((address) =>
      notify === undefined ? { address } : { address, notify, orcpt: address },
    );
    const envid = stringOption(v, 'envid');
    const ehlo = stringOption(v, 'ehlo') ?? (from.includes('@') ? from.slice(from.lastIndexOf('@') + 1) : 'localhost');
    const message = await readAll(io.stdin);
    const encoded = encodeBsmtpMessage({
      ehlo,
      envelope: {
        mailFrom: from,
        size: 'auto',
        ...(v['8bit'] === true ? { body: '8BITMIME' as const } : {}),
        ...(ret !== undefined ? { ret } : {}),
        ...(envid !== undefined ? { envid } : {}),
        rcptTo,
      },
      message,
    });
    if (!encoded.ok) return failure(io, 'bsmtp encode', encoded.error);
    await io.stdout(encoded.value);
    return 0;
  },
};

export const bsmtpDecode: CliCommand = {
  path: ['bsmtp', 'decode'],
  summary: 'Batch SMTP on stdin → JSON transactions on stdout (strict)',
  help: DECODE_HELP,
  async run(argv, io) {
    const parsed = parseOptions(argv, {});
    if (!parsed.ok) return usageError(io, 'bsmtp decode', parsed.error.message);
    const decoded = decodeBsmtp(await readAll(io.stdin));
    if (!decoded.ok) return failure(io, 'bsmtp decode', decoded.error);
    const transactions = decoded.value.transactions.map((t) => ({
      mailFrom: t.envelope.mailFrom,
      mailParams: t.envelope.mailParams,
      rcptTo: t.envelope.rcptTo.map((r) => ({ address: r.address, params: r.params })),
      messageLength: t.message.length,
      messageSha256: createHash('sha256').update(t.message).digest('hex'),
    }));
    await io.stdout(`${JSON.stringify({ transactions })}\n`);
    return 0;
  },
};
