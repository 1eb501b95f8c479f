/**
 * The two mails of the demo, and their submission to a site's Postfix as a mail client would do it
 * (nodemailer over SMTP), asking for DSNs on success and failure (RFC 3461 NOTIFY) so that the delivery
 * evidence travels back over BP.
 */
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LOOPBACK } from '../../gateway/test-support/mailstack/processes';
import type { ExpectedMessage } from './journeys';
import { sha256Hex } from './mail-facts';
import type { SiteKey } from './site';

export interface OutgoingMail {
  readonly expected: ExpectedMessage;
  readonly from: string;
  readonly to: string;
  readonly text: string;
  readonly inReplyTo?: string;
  readonly attachment: { readonly filename: string; readonly content: Buffer };
  /** RFC 3461 ENVID: comes back in the DSN as Original-Envelope-Id. */
  readonly envid: string;
}

/** The NOTIFY the demo asks for (RFC 3461 §4.1). */
export const NOTIFY = 'SUCCESS,FAILURE';

interface MailSpec {
  readonly runId: string;
  readonly label: string;
  readonly from: { readonly site: SiteKey; readonly address: string };
  readonly to: { readonly site: SiteKey; readonly address: string };
  readonly subject: string;
  readonly text: string;
  readonly filename: string;
  readonly attachmentBytes: number;
  readonly seq: number;
  readonly inReplyTo?: string;
}

function outgoing(s: MailSpec): OutgoingMail {
  const content = randomBytes(s.attachmentBytes);
  const domain = s.from.address.split('@')[1] ?? 'localhost';
  const messageId = `farside-demo-${s.runId}-${s.seq}@${domain}`;
  return {
    expected: {
      messageId,
      label: s.label,
      from: s.from.site,
      to: s.to.site,
      subject: s.subject,
      attachments: [{ filename: s.filename, size: content.length, sha256: sha256Hex(content) }],
    },
    from: s.from.address,
    to: s.to.address,
    text: s.text,
    ...(s.inReplyTo === undefined ? {} : { inReplyTo: s.inReplyTo }),
    attachment: { filename: s.filename, content },
    envid: `farside-demo-${s.runId}-${s.seq}`,
  };
}

/** Alice's mail to Bob, with an attachment big enough to be fragmented. */
export function aliceMail(runId: string, attachmentBytes: number): OutgoingMail {
  return outgoing({
    runId,
    seq: 1,
    label: "Alice's mail",
    from: { site: 'earth', address: 'alice@earth.example' },
    to: { site: 'mars', address: 'bob@mars.example' },
    subject: 'Habitat survey from Earth',
    text: 'Hi Bob,\n\nthe survey data you asked for is attached.\n\nAlice\n',
    filename: 'habitat-survey.bin',
    attachmentBytes,
  });
}

/** Bob's reply, with a small attachment that fits in one bundle. */
export function bobReply(runId: string, original: OutgoingMail, attachmentBytes: number): OutgoingMail {
  return outgoing({
    runId,
    seq: 2,
    label: "Bob's reply",
    from: { site: 'mars', address: 'bob@mars.example' },
    to: { site: 'earth', address: 'alice@earth.example' },
    subject: `Re: ${original.expected.subject}`,
    text: 'Hi Alice,\n\ngot it, thanks. Our readings are attached.\n\nBob\n',
    filename: 'mars-readings.bin',
    attachmentBytes,
    inReplyTo: original.expected.messageId,
  });
}

/** Submit to Postfix on `port`; the reply to the end of the data ("250 2.0.0 Ok: queued as …"). */
export async function submit(mail: OutgoingMail, port: number): Promise<Result<string>> {
  const transport = nodemailer.createTransport({ host: LOOPBACK, port, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.expected.subject,
      text: mail.text,
      messageId: `<${mail.expected.messageId}>`,
      ...(mail.inReplyTo === undefined ? {} : { inReplyTo: `<${mail.inReplyTo}>`, references: [`<${mail.inReplyTo}>`] }),
      attachments: [{ filename: mail.attachment.filename, content: mail.attachment.content, contentType: 'application/octet-stream' }],
      dsn: { id: mail.envid, return: 'headers', notify: ['success', 'failure'], recipient: mail.to },
    });
    return ok(info.response);
  } catch (e) {
    return err('CONNECTION_FAILED', `submitting ${mail.expected.label} to Postfix on port ${port}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    transport.close();
  }
}
