/**
 * A minimal, strict SMTP client (RFC 5321) for replaying envelopes into an MTA: it writes MAIL FROM and
 * RCPT TO with exactly the ESMTP parameters it is given (SIZE, BODY, RET, ENVID, NOTIFY, ORCPT, … — what
 * an RFC 2442 processor must pass on) and returns the server's reply to every command, per recipient.
 * nodemailer cannot do this: it derives the DSN parameters from one message-wide option (one NOTIFY for
 * all recipients, SIZE and BODY computed by itself) and reports rejected addresses, not their replies.
 *
 * One session is one connection, reused for many transactions (RSET only when a transaction was left
 * open). With PIPELINING (RFC 2920) the envelope and DATA go out in one write and the replies are read in
 * order; without it, command by command. Replies are framed by the resumable decoder of reply-decoder.ts.
 *
 * Nothing the caller passes can inject a command: addresses and parameters are checked against the BSMTP
 * grammar (printable US-ASCII, no SP, no angle brackets, no CR/LF) before anything is written, and the
 * message is written CRLF-normalised and dot-stuffed (RFC 5321 §2.3.8, §4.5.2), ending in CRLF "." CRLF.
 */
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { err, ok } from '../../../shared/errors';
import type { ErrorCode, Result } from '../../../shared/errors';
import { measureMessage, writeStuffedMessage } from '../../../shared/protocol/bsmtp/dot-stuffing';
import { commandLineFits, formatEsmtpParams, isEsmtpKeyword, isEsmtpValue, isPathText } from '../../../shared/protocol/bsmtp/grammar';
import type { EsmtpParams } from '../../../shared/protocol/bsmtp';
import { createReplyDecoder, formatReply, replyClass } from './reply-decoder';
import type { SmtpReply } from './reply-decoder';

export interface SmtpClientOptions {
  readonly host: string;
  readonly port: number;
  /** The EHLO argument: this client's host name (RFC 5321 §4.1.1.1). */
  readonly ehloName: string;
  /** How long each command's reply may take; the connection is dropped after that. */
  readonly replyTimeoutMs: number;
  /** How long the reply to the end of the data may take; default 10 min (RFC 5321 §4.5.3.2.6). */
  readonly dataTimeoutMs?: number;
  /** How long connecting and the greeting may take; default replyTimeoutMs. */
  readonly connectTimeoutMs?: number;
}

export interface SmtpRecipient {
  /** Forward-path without angle brackets. */
  readonly address: string;
  /** ESMTP parameters written after the path, in order, verbatim (keyword → value, null for none). */
  readonly params: Readonly<EsmtpParams>;
}

export interface SmtpEnvelope {
  /** Reverse-path without angle brackets; "" for the null reverse-path `<>` (RFC 5321 §4.5.5). */
  readonly mailFrom: string;
  readonly mailParams: Readonly<EsmtpParams>;
  readonly rcptTo: readonly SmtpRecipient[];
}

export interface SmtpSendResult {
  readonly mail: SmtpReply;
  /**
   * The reply to each RCPT TO, in envelope order. Empty when MAIL FROM was refused without PIPELINING
   * (no RCPT was sent); with PIPELINING the server answers every RCPT (usually 503 then).
   */
  readonly rcpt: readonly SmtpReply[];
  /**
   * The final reply to the message data, or the refusal of the DATA command itself; null when DATA was
   * not sent (MAIL refused, or no recipient accepted, without PIPELINING).
   */
  readonly data: SmtpReply | null;
}

/** True when the server took responsibility for recipient `i` of a send (RFC 5321 §4.1.1.4, §6.1). */
export function recipientAccepted(result: SmtpSendResult, i: number): boolean {
  const r = result.rcpt[i];
  return replyClass(result.mail) === 2 && r !== undefined && replyClass(r) === 2 && result.data !== null && replyClass(result.data) === 2;
}

export interface SmtpSession {
  /** The greeting (220) line. */
  readonly greeting: SmtpReply;
  /** EHLO keywords (upper case) → their parameters ("" when none); empty after a HELO fallback. */
  readonly extensions: ReadonlyMap<string, string>;
  /** False once the connection failed or was closed: open a new session then. */
  readonly usable: boolean;
  /**
   * One mail transaction. Errors are connection-level (CONNECTION_CLOSED, TIMEOUT, MALFORMED replies,
   * INVALID_ARGUMENT for an envelope that cannot be written); SMTP refusals are replies in the result.
   */
  send(envelope: SmtpEnvelope, message: Uint8Array): Promise<Result<SmtpSendResult>>;
  /** QUIT, then close; never fails. */
  quit(): Promise<void>;
}

const CRLF = '\r\n';
const END_OF_DATA = new TextEncoder().encode(`.${CRLF}`);

function checkEnvelope(e: SmtpEnvelope): string | null {
  if (e.mailFrom !== '' && !isPathText(e.mailFrom)) return 'MAIL FROM address must be printable US-ASCII without SP, "<" or ">"';
  if (e.rcptTo.length === 0) return 'at least one recipient is needed';
  const paramsProblem = (p: Readonly<EsmtpParams>): string | null => {
    for (const [k, v] of Object.entries(p)) {
      if (!isEsmtpKeyword(k)) return `ESMTP keyword "${k}" is malformed (RFC 5321 §4.1.2)`;
      if (v !== null && !isEsmtpValue(v)) return `value of ESMTP parameter ${k} is malformed (RFC 5321 §4.1.2)`;
    }
    return null;
  };
  const mp = paramsProblem(e.mailParams);
  if (mp !== null) return mp;
  for (const r of e.rcptTo) {
    if (!isPathText(r.address)) return 'a recipient address must be printable US-ASCII without SP, "<" or ">"';
    const rp = paramsProblem(r.params);
    if (rp !== null) return rp;
  }
  return null;
}

/** Reads replies off one socket, in order, one waiter at a time. */
class ReplyReader {
  private readonly queue: SmtpReply[] = [];
  private waiter: ((r: Result<SmtpReply>) => void) | null = null;
  private failure: Result<SmtpReply> | null = null;
  private readonly decoder = createReplyDecoder();

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const r = this.decoder.push(chunk);
      if (!r.ok) {
        this.fail(r.error.code, `bad reply from the server: ${r.error.message}`);
        socket.destroy();
        return;
      }
      for (const reply of r.value) this.queue.push(reply);
      this.wake();
    });
    socket.on('close', () => this.fail('CONNECTION_CLOSED', 'the server closed the connection'));
    socket.on('error', (e: Error) => this.fail('CONNECTION_CLOSED', `connection error: ${e.message}`));
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  fail(code: ErrorCode, message: string): void {
    if (this.failure === null) this.failure = err(code, message);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (w === null) return;
    const next = this.queue.shift();
    if (next !== undefined) {
      this.waiter = null;
      w(ok(next));
    } else if (this.failure !== null) {
      this.waiter = null;
      w(this.failure);
    }
  }

  next(timeoutMs: number): Promise<Result<SmtpReply>> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.fail('TIMEOUT', `no reply within ${timeoutMs} ms`);
        this.socket.destroy();
        resolve(err('TIMEOUT', `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.wake();
    });
  }
}

function connect(opts: SmtpClientOptions): Promise<Result<Socket>> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: opts.host, port: opts.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(err('TIMEOUT', `connecting to ${opts.host}:${opts.port} took over ${opts.connectTimeoutMs ?? opts.replyTimeoutMs} ms`));
    }, opts.connectTimeoutMs ?? opts.replyTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(ok(socket));
    });
    socket.once('error', (e: Error) => {
      clearTimeout(timer);
      resolve(err('CONNECTION_FAILED', `cannot connect to ${opts.host}:${opts.port}: ${e.message}`));
    });
  });
}

/** Connect, read the greeting and say EHLO (HELO when EHLO is refused, RFC 5321 §4.1.4). */
export async function openSmtpSession(opts: SmtpClientOptions): Promise<Result<SmtpSession>> {
  if (!isPathText(opts.ehloName)) return err('INVALID_ARGUMENT', 'EHLO name must be printable US-ASCII without SP, "<" or ">"');
  const connected = await connect(opts);
  if (!connected.ok) return connected;
  const socket = connected.value;
  const reader = new ReplyReader(socket);
  const close = (): void => {
    socket.destroy();
  };
  const greeting = await reader.next(opts.connectTimeoutMs ?? opts.replyTimeoutMs);
  if (!greeting.ok) {
    close();
    return greeting;
  }
  if (greeting.value.code !== 220) {
    close();
    return err('CONNECTION_FAILED', `the server refused the session: ${formatReply(greeting.value)}`);
  }
  socket.write(`EHLO ${opts.ehloName}${CRLF}`);
  let hello = await reader.next(opts.replyTimeoutMs);
  const extensions = new Map<string, string>();
  if (hello.ok && replyClass(hello.value) === 5) {
    socket.write(`HELO ${opts.ehloName}${CRLF}`);
    hello = await reader.next(opts.replyTimeoutMs);
  } else if (hello.ok) {
    for (const line of hello.value.lines.slice(1)) {
      const sp = line.indexOf(' ');
      extensions.set((sp < 0 ? line : line.slice(0, sp)).toUpperCase(), sp < 0 ? '' : line.slice(sp + 1));
    }
  }
  if (!hello.ok) {
    close();
    return hello;
  }
  if (replyClass(hello.value) !== 2) {
    close();
    return err('CONNECTION_FAILED', `the server refused EHLO/HELO: ${formatReply(hello.value)}`);
  }
  return ok(createSession(opts, socket, reader, greeting.value, extensions));
}

function createSession(opts: SmtpClientOptions, socket: Socket, reader: ReplyReader, greeting: SmtpReply, extensions: Map<string, string>): SmtpSession {
  const pipelining = extensions.has('PIPELINING');
  const dataTimeoutMs = opts.dataTimeoutMs ?? 600_000;
  // MAIL was accepted and the transaction did not reach its final data reply: RSET before the next one
  let openTransaction = false;
  let busy = false;

  const command = async (line: string, timeoutMs = opts.replyTimeoutMs): Promise<Result<SmtpReply>> => {
    socket.write(`${line}${CRLF}`);
    return reader.next(timeoutMs);
  };

  const writeData = (message: Uint8Array): void => {
    const shape = measureMessage(message);
    if (shape.stuffedSize === message.length) {
      // already CRLF-only, ending in CRLF, no line starting with "." (the common case): no copy
      socket.write(message);
    } else {
      const out = new Uint8Array(shape.stuffedSize);
      writeStuffedMessage(message, out, 0);
      socket.write(out);
    }
    socket.write(END_OF_DATA);
  };

  const transaction = async (envelope: SmtpEnvelope, message: Uint8Array): Promise<Result<SmtpSendResult>> => {
    const mailLine = `MAIL FROM:<${envelope.mailFrom}>${formatEsmtpParams(envelope.mailParams)}`;
    const rcptLines = envelope.rcptTo.map((r) => `RCPT TO:<${r.address}>${formatEsmtpParams(r.params)}`);
    for (const line of [mailLine, ...rcptLines]) {
      if (!commandLineFits(line)) return err('INVALID_ARGUMENT', 'a command line exceeds LIMITS.smtpMaxCommandLine');
    }
    if (openTransaction) {
      const rset = await command('RSET');
      if (!rset.ok) return rset;
      if (replyClass(rset.value) !== 2) return err('CONNECTION_FAILED', `the server refused RSET: ${formatReply(rset.value)}`);
      openTransaction = false;
    }

    if (pipelining) {
      // RFC 2920 §3.1: MAIL, every RCPT and DATA may go in one group; the replies come back in order
      socket.write(`${[mailLine, ...rcptLines, 'DATA'].join(CRLF)}${CRLF}`);
      const mail = await reader.next(opts.replyTimeoutMs);
      if (!mail.ok) return mail;
      if (replyClass(mail.value) === 2) openTransaction = true;
      const rcpt: SmtpReply[] = [];
      for (let i = 0; i < rcptLines.length; i++) {
        const r = await reader.next(opts.replyTimeoutMs);
        if (!r.ok) return r;
        rcpt.push(r.value);
      }
      const data = await reader.next(opts.replyTimeoutMs);
      if (!data.ok) return data;
      if (data.value.code !== 354) return ok({ mail: mail.value, rcpt, data: data.value });
      // RFC 2920 §3.1: after 354 with no recipient accepted, send only the terminator; the server must refuse
      if (rcpt.some((r) => replyClass(r) === 2)) writeData(message);
      else socket.write(END_OF_DATA);
      const final = await reader.next(dataTimeoutMs);
      if (!final.ok) return final;
      openTransaction = false;
      return ok({ mail: mail.value, rcpt, data: final.value });
    }

    const mail = await command(mailLine);
    if (!mail.ok) return mail;
    if (replyClass(mail.value) !== 2) return ok({ mail: mail.value, rcpt: [], data: null });
    openTransaction = true;
    const rcpt: SmtpReply[] = [];
    for (const line of rcptLines) {
      const r = await command(line);
      if (!r.ok) return r;
      rcpt.push(r.value);
    }
    if (!rcpt.some((r) => replyClass(r) === 2)) return ok({ mail: mail.value, rcpt, data: null });
    const data = await command('DATA');
    if (!data.ok) return data;
    if (data.value.code !== 354) return ok({ mail: mail.value, rcpt, data: data.value });
    writeData(message);
    const final = await reader.next(dataTimeoutMs);
    if (!final.ok) return final;
    openTransaction = false;
    return ok({ mail: mail.value, rcpt, data: final.value });
  };

  return {
    greeting,
    extensions,
    get usable() {
      return !reader.failed && !socket.destroyed;
    },
    async send(envelope, message) {
      const problem = checkEnvelope(envelope);
      if (problem !== null) return err('INVALID_ARGUMENT', problem);
      if (busy) return err('INVALID_ARGUMENT', 'one transaction at a time per session');
      if (reader.failed || socket.destroyed) return err('CONNECTION_CLOSED', 'the session is closed');
      busy = true;
      try {
        const r = await transaction(envelope, message);
        // a connection-level failure leaves the dialogue out of step: this session is over
        if (!r.ok) socket.destroy();
        return r;
      } finally {
        busy = false;
      }
    },
    async quit() {
      if (!reader.failed && !socket.destroyed) {
        socket.write(`QUIT${CRLF}`);
        await reader.next(Math.min(opts.replyTimeoutMs, 5_000));
      }
      socket.destroy();
    },
  };
}
