/**
 * A byte-level AAP 2.0 connection (protocols.md §5.1) for tests that need what Farside's AAP client does
 * not offer: report-request bits in BundleADU.adu_flags and the ADMIN_RECORD bit on pushed ADUs
 * (docs/status-reports.md). One connection is one role: active (sends ADUs, reads AAPResponses) or
 * subscriber (reads pushed ADUs, answers SUCCESS). Every wait has a deadline.
 */
import { connect, type Socket } from 'node:net';
import {
  AAP2_RESPONSE_STATUS,
  createAap2Decoder,
  encodeAap2AduParts,
  encodeAap2Message,
  encodeAap2Response,
  type Aap2BundleAdu,
  type Aap2DecodeStep,
  type Aap2Response,
} from '../../../shared/protocol/aap2';

/** `tcp:HOST:PORT` or `unix:PATH`, as `farside bpa` prints them in bpa.ready. */
export type Aap2Address = string;

export interface RawAap2Agent {
  /** Active role: send one ADU with these adu_flags, resolve with the node's AAPResponse. */
  send(dstEid: string, payload: Uint8Array, aduFlags: number, timeoutMs?: number): Promise<Aap2Response>;
  /** Subscriber role: the next pushed ADU and a copy of its payload; answers SUCCESS. */
  receive(timeoutMs?: number): Promise<{ readonly adu: Aap2BundleAdu; readonly payload: Uint8Array }>;
  close(): void;
}

function open(address: Aap2Address): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let s: Socket;
    if (address.startsWith('unix:')) {
      s = connect(address.slice(5));
    } else {
      const colon = address.lastIndexOf(':');
      s = connect(Number(address.slice(colon + 1)), address.slice(4, colon));
    }
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Connect, read the Welcome, and configure `endpointId` in the given role (SUCCESS expected). */
export async function connectRawAap2(address: Aap2Address, endpointId: string, opts: { subscriber: boolean; secret: string }): Promise<RawAap2Agent> {
  const socket = await open(address);
  socket.on('error', () => undefined);
  const decoder = createAap2Decoder({ role: 'client' });
  let wake: (() => void) | undefined;
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    // The decoder keeps the chunk by reference; Node does not reuse a delivered Buffer.
    decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    wake?.();
  });
  socket.once('close', () => {
    closed = true;
    wake?.();
  });

  async function next(timeoutMs: number): Promise<Aap2DecodeStep> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const step = decoder.next();
      if (step.kind === 'error') throw new Error(`AAP 2.0 ${endpointId}: ${step.error.code} ${step.error.message}`);
      if (step.kind !== 'need-more') return step;
      if (closed) throw new Error(`AAP 2.0 ${endpointId}: the node closed the connection`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`AAP 2.0 ${endpointId}: nothing within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });
    }
  }

  const welcome = await next(5_000);
  if (welcome.kind !== 'message' || welcome.message.kind !== 'welcome') throw new Error(`AAP 2.0 ${endpointId}: expected Welcome, got ${welcome.kind}`);
  const config = encodeAap2Message({ kind: 'config', config: { endpointId, secret: opts.secret, isSubscriber: opts.subscriber } });
  if (!config.ok) throw new Error(config.error.message);
  socket.write(config.value);
  const configured = await next(5_000);
  if (configured.kind !== 'response' || configured.response.responseStatus !== AAP2_RESPONSE_STATUS.SUCCESS) {
    socket.destroy();
    throw new Error(`AAP 2.0 ${endpointId}: configuration refused (${configured.kind === 'response' ? configured.response.responseStatus : configured.kind})`);
  }
  if (opts.subscriber) decoder.expect('message');

  return {
    async send(dstEid, payload, aduFlags, timeoutMs = 10_000) {
      const parts = encodeAap2AduParts({ dstEid, aduFlags }, payload);
      if (!parts.ok) throw new Error(parts.error.message);
      socket.cork();
      for (const p of parts.value) socket.write(p);
      socket.uncork();
      const r = await next(timeoutMs);
      if (r.kind !== 'response') throw new Error(`AAP 2.0 ${endpointId}: expected an AAPResponse, got ${r.kind}`);
      return r.response;
    },
    async receive(timeoutMs = 10_000) {
      const m = await next(timeoutMs);
      if (m.kind !== 'message' || m.message.kind !== 'adu') throw new Error(`AAP 2.0 ${endpointId}: expected a BundleADU, got ${m.kind}`);
      const payload = await next(timeoutMs);
      if (payload.kind !== 'payload') throw new Error(`AAP 2.0 ${endpointId}: expected the ADU's payload, got ${payload.kind}`);
      const success = encodeAap2Response({ responseStatus: AAP2_RESPONSE_STATUS.SUCCESS });
      if (!success.ok) throw new Error(success.error.message);
      socket.write(success.value);
      return { adu: m.message.adu, payload: payload.payload.slice() };
    },
    close: () => void socket.destroy(),
  };
}
