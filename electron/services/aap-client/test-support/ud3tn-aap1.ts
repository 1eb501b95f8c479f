/**
 * uD3TN v0.13's AAP v1 agent as the client meets it (ud3tn-behaviour.md §5; application_agent.c), for
 * the scripted node: replies are the real bytes from ../shared/vectors/ud3tn/aap1, handed in by the test.
 *
 * - One message parsed per socket read (§0.2): the rest waits for the client's next write.
 * - REGISTER → ACK, or NACK for an ID with a space, a built-in ID or one held by a live connection (§5.2).
 * - SENDBUNDLE before REGISTER → no reply at all (§5.3 sendbundle_unregistered).
 * - Unparsable bytes → no reply, one byte dropped, parsing goes on (§5.3).
 * - PING → ACK; CANCELBUNDLE → NACK (not implemented).
 */
import { createAapDecoder, type AapDecoder, type AapMessage } from '../../../../shared/protocol/aap';
import type { NodeBehaviour, NodeConnection } from './scripted-node';

export interface Aap1Replies {
  readonly welcome: Uint8Array;
  readonly ack: Uint8Array;
  readonly nack: Uint8Array;
  /** SENDCONFIRM bytes for the n-th confirmed SENDBUNDLE of the node (0-based, across connections). */
  confirm(n: number): Uint8Array;
}

export interface Aap1Hooks {
  /** Bytes written right before the n-th SENDCONFIRM (e.g. a RECVBUNDLE interleaved ahead of the reply). */
  beforeConfirm?(conn: NodeConnection, n: number): Uint8Array | undefined;
  /** Handle a parsed message instead of the default behaviour (return true), e.g. stay silent or drop. */
  intercept?(conn: NodeConnection, m: AapMessage): boolean;
}

export interface Aap1Node extends NodeBehaviour {
  /** Every message the node parsed, with the connection it came on. */
  readonly parsed: { readonly conn: number; readonly message: AapMessage }[];
}

const BUILTIN = new Set(['config', 'echo']);

export function ud3tnAap1(replies: Aap1Replies, hooks: Aap1Hooks = {}): Aap1Node {
  const parsed: { conn: number; message: AapMessage }[] = [];
  const registry = new Map<string, NodeConnection>();
  let confirmed = 0;

  function decoderOf(conn: NodeConnection): AapDecoder {
    let d = conn.state['decoder'] as AapDecoder | undefined;
    if (!d) {
      d = createAapDecoder({ recovery: 'skip-byte' });
      conn.state['decoder'] = d;
    }
    return d;
  }

  function handle(conn: NodeConnection, m: AapMessage): void {
    parsed.push({ conn: conn.index, message: m });
    if (hooks.intercept?.(conn, m)) return;
    switch (m.type) {
      case 'REGISTER': {
        const holder = registry.get(m.eid);
        const taken = holder !== undefined && holder !== conn && holder.isOpen();
        if (m.eid.includes(' ') || BUILTIN.has(m.eid) || taken) {
          conn.write(replies.nack);
          return;
        }
        for (const [id, c] of registry) if (c === conn) registry.delete(id);
        registry.set(m.eid, conn);
        conn.state['agent'] = m.eid;
        conn.write(replies.ack);
        return;
      }
      case 'SENDBUNDLE':
      case 'SENDBIBE': {
        // v0.13 logs and answers nothing when the connection is not registered (protocols.md §4.3).
        if (conn.state['agent'] === undefined) return;
        const n = confirmed++;
        const before = hooks.beforeConfirm?.(conn, n);
        if (before) conn.write(before);
        conn.write(replies.confirm(n));
        return;
      }
      case 'PING':
        conn.write(replies.ack);
        return;
      case 'CANCELBUNDLE':
        if (m.bundleId !== 0n) conn.write(replies.nack);
        return;
      default:
        // Server-only types sent by a client: ignored, no reply (§5.3 client_sends_ack/welcome).
        return;
    }
  }

  return {
    greeting: replies.welcome,
    parsed,
    onRead(conn: NodeConnection, chunk: Uint8Array): void {
      const decoder = decoderOf(conn);
      decoder.push(chunk);
      // uD3TN's receive loop parses one message per recv() (ud3tn-behaviour.md §5.3, 512-byte loop).
      const step = decoder.next();
      if (step.kind === 'message') handle(conn, step.message);
    },
  };
}
