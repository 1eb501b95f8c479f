import { describe, expect, it } from 'vitest';
import { ascii } from '../../test-support/vectors';
import type { AapMessage } from './layout';
import { validateAapMessage } from './validate';

function code(message: AapMessage, sender: 'node' | 'client'): string {
  const r = validateAapMessage(message, sender);
  return r.ok ? 'ok' : r.error.code;
}

describe('AAP v1 validity rules (uD3TN aap_message_is_valid and the agent)', () => {
  it('a client ACK or WELCOME is not a client message (probe_client_sends_ack, probe_client_sends_welcome)', () => {
    expect(code({ type: 'ACK' }, 'client')).toBe('UNSUPPORTED');
    expect(code({ type: 'WELCOME', eid: 'abc' }, 'client')).toBe('UNSUPPORTED');
    expect(code({ type: 'ACK' }, 'node')).toBe('ok');
  });

  it('PING may come from either side; REGISTER only from the client; RECVBUNDLE only from the node', () => {
    expect(code({ type: 'PING' }, 'client')).toBe('ok');
    expect(code({ type: 'PING' }, 'node')).toBe('ok');
    expect(code({ type: 'REGISTER', eid: 'smtp' }, 'node')).toBe('UNSUPPORTED');
    expect(code({ type: 'RECVBUNDLE', eid: 'dtn://a/b', payload: ascii('x') }, 'client')).toBe('UNSUPPORTED');
  });

  it('bundle ID 0 is invalid (probe_cancel_zero gets no reply)', () => {
    expect(code({ type: 'CANCELBUNDLE', bundleId: 0n }, 'client')).toBe('MALFORMED');
    expect(code({ type: 'CANCELBUNDLE', bundleId: 0x8000000000000001n }, 'client')).toBe('ok');
    expect(code({ type: 'SENDCONFIRM', bundleId: 0n }, 'node')).toBe('MALFORMED');
  });

  it('an EID with a NUL is invalid (uD3TN checks strlen against the length field)', () => {
    expect(code({ type: 'REGISTER', eid: 'a\u0000b' }, 'client')).toBe('MALFORMED');
    expect(code({ type: 'REGISTER', eid: '' }, 'client')).toBe('ok');
  });
});
