import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ascii, chunks, fromHex, ud3tnVector, ud3tnVectorNames } from '../../test-support/vectors';
import { concat } from '../../test-support/fuzz';
import { createAapDecoder } from './decoder';
import type { AapDecodeStep, AapDecoderOptions } from './decoder';
import { encodeAapMessage } from './encode';
import type { AapMessage } from './layout';

/** Push `parts` one by one, draining next() after each; stop at the first error unless skipping. */
function decodeAll(parts: readonly Uint8Array[], options: AapDecoderOptions = {}): AapDecodeStep[] {
  const decoder = createAapDecoder(options);
  const steps: AapDecodeStep[] = [];
  for (const part of parts) {
    decoder.push(part);
    for (;;) {
      const step = decoder.next();
      if (step.kind === 'need-more') break;
      steps.push(step);
      if (step.kind === 'error' && options.recovery !== 'skip-byte') return steps;
    }
  }
  return steps;
}

function messages(steps: readonly AapDecodeStep[]): AapMessage[] {
  return steps.map((s) => {
    if (s.kind !== 'message') throw new Error(`expected a message, got ${JSON.stringify(s)}`);
    return s.message;
  });
}

/** A cheap fingerprint of a message (FNV-1a over the payload): deep equality per chunk size would be quadratic. */
function fingerprint(m: AapMessage): string {
  const fields = m as Partial<{ eid: string; payload: Uint8Array; bundleId: bigint }>;
  let h = 0x811c9dc5;
  const p = fields.payload;
  if (p !== undefined) for (let i = 0; i < p.length; i++) h = Math.imul(h ^ (p[i] as number), 0x01000193);
  return `${m.type}|${fields.eid ?? ''}|${fields.bundleId ?? ''}|${p?.length ?? -1}|${h >>> 0}`;
}

const bsmtp = ud3tnVector('aap1/bsmtp_payload.bin');
const longBsmtp = ud3tnVector('fragments/bsmtp_long_payload.bin');
const bpdu = concat([fromHex('8300005901be'), ud3tnVector('aap1-bibe/crafted-inner-bundle.bin')]);
const configPayloadStart = '1(dtn://mars.dtn/):(mtcp:127.0.0.1:15225';

/**
 * What the vectors README says each AAP v1 file holds. A payload given as a string is the start of a
 * payload of the stated length.
 */
type Expected =
  | AapMessage
  | { readonly type: 'SENDBUNDLE'; readonly eid: string; readonly payloadLength: number; readonly payloadStart: string };

const earthWelcome: AapMessage = { type: 'WELCOME', eid: 'dtn://earth.dtn/' };
const marsWelcome: AapMessage = { type: 'WELCOME', eid: 'dtn://mars.dtn/' };
const ack: AapMessage = { type: 'ACK' };
const registerSmtp: AapMessage = { type: 'REGISTER', eid: 'smtp' };

const GOLDEN: Record<string, Record<string, Expected>> = {
  aap1: {
    'earth-config_01_n2c_WELCOME.bin': earthWelcome,
    'earth-config_02_c2n_REGISTER.bin': { type: 'REGISTER', eid: 'config-client' },
    'earth-config_03_n2c_ACK.bin': ack,
    'earth-config_04_c2n_SENDBUNDLE.bin': {
      type: 'SENDBUNDLE',
      eid: 'dtn://earth.dtn/config',
      payloadLength: 78,
      payloadStart: configPayloadStart,
    },
    'earth-config_05_n2c_SENDCONFIRM.bin': { type: 'SENDCONFIRM', bundleId: 0x80c5a9206d3e0001n },
    'earth-smtp_01_n2c_WELCOME.bin': earthWelcome,
    'earth-smtp_02_c2n_REGISTER.bin': registerSmtp,
    'earth-smtp_03_n2c_ACK.bin': ack,
    'earth-smtp_04_c2n_SENDBUNDLE.bin': { type: 'SENDBUNDLE', eid: 'dtn://mars.dtn/smtp', payload: bsmtp },
    'earth-smtp_05_n2c_SENDCONFIRM.bin': { type: 'SENDCONFIRM', bundleId: 0x80c5a9206f9a0001n },
    'earth-smtp_06_c2n_PING.bin': { type: 'PING' },
    'earth-smtp_07_n2c_ACK.bin': ack,
    'earth-smtp_08_c2n_CANCELBUNDLE.bin': { type: 'CANCELBUNDLE', bundleId: 0x80c5a9206f9a0001n },
    'earth-smtp_09_n2c_NACK.bin': { type: 'NACK' },
    'earth-smtp_10_c2n_REGISTER.bin': { type: 'REGISTER', eid: '' },
    'earth-smtp_11_n2c_ACK.bin': ack,
    'mars-smtp_01_n2c_WELCOME.bin': marsWelcome,
    'mars-smtp_02_c2n_REGISTER.bin': registerSmtp,
    'mars-smtp_03_n2c_ACK.bin': ack,
    'mars-smtp_04_n2c_RECVBUNDLE.bin': { type: 'RECVBUNDLE', eid: 'dtn://earth.dtn/smtp', payload: bsmtp },
    'mars-smtp_05_c2n_PING.bin': { type: 'PING' },
    'mars-smtp_06_n2c_ACK.bin': ack,
  },
  'aap1-bibe': {
    'earth-bibe_01_n2c_WELCOME.bin': earthWelcome,
    'earth-bibe_02_c2n_REGISTER.bin': { type: 'REGISTER', eid: 'bibe' },
    'earth-bibe_03_n2c_ACK.bin': ack,
    'earth-bibe_04_c2n_SENDBIBE.bin': { type: 'SENDBIBE', eid: 'dtn://mars.dtn/bibe', payload: bpdu },
    'earth-bibe_05_n2c_SENDCONFIRM.bin': { type: 'SENDCONFIRM', bundleId: 0x80c5a920c0cf0001n },
    'mars-bibe_01_n2c_WELCOME.bin': marsWelcome,
    'mars-bibe_02_c2n_REGISTER.bin': { type: 'REGISTER', eid: 'bibe' },
    'mars-bibe_03_n2c_ACK.bin': ack,
    'mars-bibe_04_n2c_RECVBIBE.bin': { type: 'RECVBIBE', eid: 'dtn://earth.dtn/bibe', payload: bpdu },
  },
  fragments: {
    'earth-smtp_01_n2c_WELCOME.bin': earthWelcome,
    'earth-smtp_02_c2n_REGISTER.bin': registerSmtp,
    'earth-smtp_03_n2c_ACK.bin': ack,
    'earth-smtp_04_c2n_SENDBUNDLE.bin': { type: 'SENDBUNDLE', eid: 'dtn://mars.dtn/smtp', payload: longBsmtp },
    'earth-smtp_05_n2c_SENDCONFIRM.bin': { type: 'SENDCONFIRM', bundleId: 0x80c5a920866b0001n },
    'earth-smtp_06_c2n_SENDBUNDLE.bin': {
      type: 'SENDBUNDLE',
      eid: 'dtn://mars.dtn/smtp',
      payloadLength: 20000,
      payloadStart: 'X'.repeat(40),
    },
    'earth-smtp_07_n2c_SENDCONFIRM.bin': { type: 'SENDCONFIRM', bundleId: 0x80c5a92086720001n },
    'mars-smtp_01_n2c_WELCOME.bin': marsWelcome,
    'mars-smtp_02_c2n_REGISTER.bin': registerSmtp,
    'mars-smtp_03_n2c_ACK.bin': ack,
    'mars-smtp_04_n2c_RECVBUNDLE.bin': { type: 'RECVBUNDLE', eid: 'dtn://earth.dtn/smtp', payload: longBsmtp },
  },
  'status-reports': {
    'mars-smtp_01_n2c_WELCOME.bin': marsWelcome,
    'mars-smtp_02_c2n_REGISTER.bin': registerSmtp,
    'mars-smtp_03_n2c_ACK.bin': ack,
    'mars-smtp_04_n2c_RECVBUNDLE.bin': { type: 'RECVBUNDLE', eid: 'dtn://sender.dtn/smtp', payload: bsmtp },
  },
};

function expectMatches(actual: AapMessage, expected: Expected): void {
  if ('payloadStart' in expected) {
    expect(actual.type).toBe(expected.type);
    if (actual.type !== 'SENDBUNDLE') return;
    expect(actual.eid).toBe(expected.eid);
    expect(actual.payload.length).toBe(expected.payloadLength);
    expect(actual.payload.subarray(0, expected.payloadStart.length)).toEqual(ascii(expected.payloadStart));
  } else {
    expect(actual).toEqual(expected);
  }
}

const aapFile = /_(n2c|c2n)_[A-Z]+\.bin$/;

describe('AAP v1 decoder: uD3TN vectors', () => {
  for (const [folder, files] of Object.entries(GOLDEN)) {
    it(`${folder}: every AAP v1 file has an expectation`, () => {
      expect(ud3tnVectorNames(folder).filter((n) => aapFile.test(n))).toEqual(Object.keys(files).sort());
    });
    for (const [name, expected] of Object.entries(files)) {
      it(`${folder}/${name} decodes to the README's message and re-encodes byte-identically`, () => {
        const bytes = ud3tnVector(`${folder}/${name}`);
        const msgs = messages(decodeAll([bytes]));
        expect(msgs).toHaveLength(1);
        const message = msgs[0] as AapMessage;
        expectMatches(message, expected);
        const encoded = encodeAapMessage(message);
        expect(encoded.ok && encoded.value).toEqual(bytes);
      });
    }
  }

  it('returns the payload as a view of the pushed chunk, not a copy', () => {
    const bytes = ud3tnVector('aap1/earth-smtp_04_c2n_SENDBUNDLE.bin');
    const [message] = messages(decodeAll([bytes]));
    expect(message?.type).toBe('SENDBUNDLE');
    if (message?.type !== 'SENDBUNDLE') return;
    expect(message.payload.buffer).toBe(bytes.buffer);
    expect(message.payload.byteOffset).toBe(bytes.byteOffset + 30);
  });

  it('copies a payload that spans chunks once, into a buffer of exactly its size', () => {
    const bytes = ud3tnVector('aap1/earth-smtp_04_c2n_SENDBUNDLE.bin');
    const [message] = messages(decodeAll([bytes.subarray(0, 100), bytes.subarray(100)]));
    if (message?.type !== 'SENDBUNDLE') throw new Error('expected SENDBUNDLE');
    expect(message.payload).toEqual(bsmtp);
    expect(message.payload.buffer.byteLength).toBe(369);
  });
});

describe('AAP v1 decoder: every chunk size gives the same result', () => {
  for (const [folder, files] of Object.entries(GOLDEN)) {
    for (const side of ['n2c', 'c2n']) {
      it(`${folder}, ${side} stream`, () => {
        const names = Object.keys(files).filter((n) => n.includes(`_${side}_`));
        const stream = concat(names.map((n) => ud3tnVector(`${folder}/${n}`)));
        const whole = messages(decodeAll([stream])).map(fingerprint);
        expect(whole).toHaveLength(names.length);
        for (let size = 1; size <= stream.length; size++) {
          const got = messages(decodeAll(chunks(stream, size))).map(fingerprint);
          if (got.join() !== whole.join()) expect({ size, got }).toEqual({ size, got: whole });
        }
      });
    }
  }
});

describe('AAP v1 decoder: aap1-errors probes (client bytes)', () => {
  const probe = (name: string): Uint8Array => ud3tnVector(`aap1-errors/${name}.c2n.bin`);
  const payload = (text: string): Uint8Array => ascii(text);
  const expectedMessages: Record<string, AapMessage[]> = {
    probe_cancel_unknown: [{ type: 'CANCELBUNDLE', bundleId: 0x8000000000000001n }],
    probe_cancel_zero: [{ type: 'CANCELBUNDLE', bundleId: 0n }],
    probe_client_sends_ack: [{ type: 'ACK' }],
    probe_client_sends_welcome: [{ type: 'WELCOME', eid: 'abc' }],
    probe_echo_roundtrip: [{ type: 'SENDBUNDLE', eid: 'dtn://earth.dtn/echo', payload: payload('ping-payload') }],
    probe_pipelined_register_sendbundle: [
      { type: 'REGISTER', eid: 'pipe' },
      { type: 'SENDBUNDLE', eid: 'dtn://earth.dtn/pipe', payload: payload('loop') },
    ],
    probe_pipelined_two_pings: [{ type: 'PING' }, { type: 'PING' }],
    probe_register_config: [{ type: 'REGISTER', eid: 'config' }],
    probe_register_duplicate: [{ type: 'REGISTER', eid: 'dup' }],
    probe_register_echo: [{ type: 'REGISTER', eid: 'echo' }],
    probe_register_empty: [{ type: 'REGISTER', eid: '' }],
    probe_register_with_slash: [{ type: 'REGISTER', eid: 'mail/inbox' }],
    probe_register_with_space: [{ type: 'REGISTER', eid: 'a b' }],
    probe_sendbundle_bad_dest_eid: [{ type: 'SENDBUNDLE', eid: 'not-an-eid', payload: payload('hi') }],
    probe_sendbundle_dest_no_route: [{ type: 'SENDBUNDLE', eid: 'dtn://venus.dtn/smtp', payload: payload('hi') }],
    probe_sendbundle_empty_payload: [{ type: 'SENDBUNDLE', eid: 'dtn://earth.dtn/echo', payload: new Uint8Array(0) }],
    probe_sendbundle_unregistered: [{ type: 'SENDBUNDLE', eid: 'dtn://mars.dtn/smtp', payload: payload('hi') }],
    probe_truncated_register_then_rest: [{ type: 'REGISTER', eid: 'smtp-agent' }],
  };
  const expectedErrors: Record<string, { code: string; offset: number }> = {
    probe_reserved_type_0xB: { code: 'AAP_UNKNOWN_TYPE', offset: 0 },
    probe_sendbundle_len_over_max: { code: 'LIMIT_EXCEEDED', offset: 22 },
    probe_wrong_version_ping: { code: 'MALFORMED', offset: 0 },
    probe_wrong_version_register: { code: 'MALFORMED', offset: 0 },
  };
  const truncated = [
    'probe_truncated_register_never_completed',
    'probe_truncated_sendbundle_header',
  ];

  it('covers every probe file', () => {
    const names = ud3tnVectorNames('aap1-errors').map((n) => n.replace('.c2n.bin', ''));
    expect(names).toEqual([...Object.keys(expectedMessages), ...Object.keys(expectedErrors), ...truncated].sort());
  });

  for (const [name, expected] of Object.entries(expectedMessages)) {
    it(`${name} decodes to ${expected.map((m) => m.type).join(' + ')} in every chunk size`, () => {
      const bytes = probe(name);
      for (let size = 1; size <= bytes.length; size++) {
        expect(messages(decodeAll(chunks(bytes, size)))).toEqual(expected);
      }
    });
  }

  for (const [name, expected] of Object.entries(expectedErrors)) {
    it(`${name} is ${expected.code} at byte ${expected.offset}, and stays so (recovery 'stop')`, () => {
      const decoder = createAapDecoder();
      decoder.push(probe(name));
      const first = decoder.next();
      expect(first.kind === 'error' && first.error.code).toBe(expected.code);
      expect(first.kind === 'error' && first.error.offset).toBe(expected.offset);
      decoder.push(fromHex('18'));
      expect(decoder.next()).toEqual(first);
    });
  }

  for (const name of truncated) {
    it(`${name} needs more bytes forever, whatever the chunking`, () => {
      const bytes = probe(name);
      for (let size = 1; size <= bytes.length; size++) {
        const decoder = createAapDecoder();
        for (const c of chunks(bytes, size)) decoder.push(c);
        expect(decoder.next()).toEqual({ kind: 'need-more' });
        expect(decoder.buffered).toBe(bytes.length);
      }
    });
  }

  it('the PING sent after an unfinished REGISTER is swallowed as an EID byte, as uD3TN does', () => {
    const decoder = createAapDecoder();
    decoder.push(probe('probe_truncated_register_never_completed'));
    decoder.push(fromHex('18'));
    expect(decoder.next()).toEqual({ kind: 'need-more' });
  });

  it("probe_wrong_version_register with recovery 'skip-byte': every byte is dropped with its own error", () => {
    const steps = decodeAll([probe('probe_wrong_version_register')], { recovery: 'skip-byte' });
    expect(steps.map((s) => (s.kind === 'error' ? `${s.error.code}@${s.error.offset}` : s.kind))).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((i) => `MALFORMED@${i}`),
    );
  });

  it("recovery 'skip-byte' resynchronises on the next valid message after garbage", () => {
    const steps = decodeAll([concat([fromHex('28 1b 0f'), probe('probe_pipelined_two_pings')])], {
      recovery: 'skip-byte',
    });
    expect(steps.map((s) => (s.kind === 'error' ? s.error.code : s.kind === 'message' ? s.message.type : s.kind))).toEqual(
      ['MALFORMED', 'AAP_UNKNOWN_TYPE', 'MALFORMED', 'PING', 'PING'],
    );
  });

  it('an over-limit payload length is refused from the length field, before any payload byte arrives', () => {
    const header = fromHex('13 0003 616263 0000000000001001');
    expect(decodeAll([header], { maxPayload: 4096 })).toEqual([
      { kind: 'error', error: { code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/\S/), offset: 6 } },
    ]);
    expect(decodeAll([header], { maxPayload: 4097 })).toEqual([]);
    const huge = fromHex('13 0003 616263 ffffffffffffffff');
    const steps = decodeAll([huge]);
    expect(steps[0]?.kind === 'error' && steps[0].error.code).toBe('LIMIT_EXCEEDED');
  });
});

describe('AAP v1 decoder: AAP 2.0 detection', () => {
  it('a client that reaches an AAP 2.0 socket gets AAP_VERSION_MISMATCH from the 0x2f indicator', () => {
    const aap2Hello = concat([
      ud3tnVector('aap2/earth-sender_01_n2c_VERSION_INDICATOR.bin'),
      ud3tnVector('aap2/earth-sender_02_n2c_AAPMessage-welcome.bin'),
    ]);
    const steps = decodeAll([aap2Hello]);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.kind === 'error' && steps[0].error).toMatchObject({ code: 'AAP_VERSION_MISMATCH', offset: 0 });
  });

  it('0x2f later in the stream is an ordinary bad header byte', () => {
    const steps = decodeAll([fromHex('18 2f')]);
    expect(steps[1]?.kind === 'error' && steps[1].error).toMatchObject({ code: 'MALFORMED', offset: 1 });
  });

  it('an EID that is not UTF-8 is MALFORMED', () => {
    const steps = decodeAll([fromHex('12 0002 c328')]);
    expect(steps[0]?.kind === 'error' && steps[0].error).toMatchObject({ code: 'MALFORMED', offset: 3 });
  });

  it('rejects an impossible maxPayload (programmer error)', () => {
    expect(() => createAapDecoder({ maxPayload: -1 })).toThrow(RangeError);
  });
});

const text = fc.string({ unit: 'binary', maxLength: 40 });
const payloadArb = fc.uint8Array({ maxLength: 600 });
const idArb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

const aapMessageArb: fc.Arbitrary<AapMessage> = fc.oneof(
  fc.constantFrom<AapMessage>({ type: 'ACK' }, { type: 'NACK' }, { type: 'PING' }),
  fc.record({ type: fc.constantFrom('REGISTER' as const, 'WELCOME' as const), eid: text }),
  fc.record({
    type: fc.constantFrom('SENDBUNDLE' as const, 'RECVBUNDLE' as const, 'SENDBIBE' as const, 'RECVBIBE' as const),
    eid: text,
    payload: payloadArb,
  }),
  fc.record({ type: fc.constantFrom('SENDCONFIRM' as const, 'CANCELBUNDLE' as const), bundleId: idArb }),
);

describe('AAP v1: property round trips', () => {
  it('encode → decode in random chunkings gives the messages back', () => {
    fc.assert(
      fc.property(fc.array(aapMessageArb, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (msgs, sizes) => {
        const stream = concat(
          msgs.map((m) => {
            const e = encodeAapMessage(m);
            if (!e.ok) throw new Error(e.error.message);
            return e.value;
          }),
        );
        const parts: Uint8Array[] = [];
        for (let i = 0, k = 0; i < stream.length; k++) {
          const n = sizes[k % sizes.length] as number;
          parts.push(stream.subarray(i, i + n));
          i += n;
        }
        expect(messages(decodeAll(parts))).toEqual(msgs);
      }),
      { numRuns: 300 },
    );
  });
});
