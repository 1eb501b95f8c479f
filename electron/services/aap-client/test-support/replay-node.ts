/**
 * A replaying node for the scripted server: per connection, a list of steps "expect these exact client
 * bytes, then write these node bytes", taken from a real exchange in ../shared/vectors/ud3tn. It parses
 * nothing: the recording is the specification. A mismatch is recorded and the connection dropped, so a
 * test sees it both as a failed expectation and as a client that had to reconnect.
 */
import type { NodeBehaviour, NodeConnection } from './scripted-node';

export interface ReplayStep {
  /** Exact client bytes to wait for; 'any-read' takes whatever one socket read brought. */
  readonly expect: Uint8Array | 'any-read';
  /** Node bytes written once the expectation is met (may be empty: the node stays silent). */
  readonly reply: readonly Uint8Array[];
}

export interface ReplayNode extends NodeBehaviour {
  /** Client bytes that differed from the recording, one line each. */
  readonly mismatches: string[];
  /** Completed steps per connection index. */
  readonly completed: number[];
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** `scripts[n]` drives the n-th connection (0-based); later connections get `fallback`. */
export function replayNode(greeting: Uint8Array, scripts: readonly (readonly ReplayStep[])[], fallback: readonly ReplayStep[] = []): ReplayNode {
  const mismatches: string[] = [];
  const completed: number[] = [];

  return {
    greeting,
    mismatches,
    completed,
    onRead(conn: NodeConnection, chunk: Uint8Array): void {
      const steps = scripts[conn.index] ?? fallback;
      const pending = Buffer.concat([(conn.state['pending'] as Buffer | undefined) ?? Buffer.alloc(0), chunk]);
      conn.state['pending'] = pending;
      let done = completed[conn.index] ?? 0;
      for (;;) {
        const step = steps[done];
        if (!step) return;
        const buffered = conn.state['pending'] as Buffer;
        if (step.expect === 'any-read') {
          if (buffered.length === 0) return;
          conn.state['pending'] = Buffer.alloc(0);
        } else {
          if (buffered.length < step.expect.length) {
            if (!Buffer.from(step.expect).subarray(0, buffered.length).equals(buffered)) {
              mismatches.push(`connection ${conn.index} step ${done}: got ${hex(buffered)}, expected ${hex(step.expect)}`);
              conn.drop();
            }
            return;
          }
          const head = buffered.subarray(0, step.expect.length);
          if (!head.equals(Buffer.from(step.expect))) {
            mismatches.push(`connection ${conn.index} step ${done}: got ${hex(head)}, expected ${hex(step.expect)}`);
            conn.drop();
            return;
          }
          conn.state['pending'] = buffered.subarray(step.expect.length);
        }
        for (const r of step.reply) conn.write(r);
        done += 1;
        completed[conn.index] = done;
        // One step per read for 'any-read'; exact steps may complete several from one read.
        if (step.expect === 'any-read') return;
      }
    },
  };
}
