import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ascii, chunks, fromHex, ud3tnVector } from '../../test-support/vectors';
import { concat } from '../../test-support/fuzz';
import { createAap2Decoder } from './decoder';
import type { Aap2DecodeStep, Aap2Decoder, Aap2Role } from './decoder';
import { encodeAap2AduParts, encodeAap2Message, encodeAap2Response } from './messages';
import type { Aap2Message, Aap2Response } from './messages';

type Hook = (step: Aap2DecodeStep, decoder: Aap2Decoder) => void;

function decodeAll(parts: readonly Uint8Array[], role: Aap2Role, hook: Hook = () => undefined, maxPayload?: number): Aap2DecodeStep[] {
  const decoder = createAap2Decoder(maxPayload === undefined ? { role } : { role, maxPayload });
  const steps: Aap2DecodeStep[] = [];
  for (const part of parts) {
    decoder.push(part);
    for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
      steps.push(step);
      if (step.kind === 'error') return steps;
      hook(step, decoder);
    }
  }
  return steps;
}

/** A short label per step: message kind, response status, payload length, or error code. */
function label(step: Aap2DecodeStep): string {
  switch (step.kind) {
    case 'message':
      return `message:${step.message.kind}`;
    case 'response':
      return `response:${step.response.responseStatus}${step.response.bundleHeaders ? '+headers' : ''}`;
    case 'payload':
      return `payload:${step.payload.length}`;
    case 'error':
      return `error:${step.error.code}`;
    default:
      return step.kind;
  }
}

const file = (name: string): Uint8Array => ud3tnVector(`aap2/${name}.bin`);
const stream = (prefix: string, suffixes: readonly string[]): Uint8Array =>
  concat(suffixes.map((s) => file(`${prefix}_${s}`)));

/** Subscriber client: after the node's SUCCESS to our config, the node is the Initiator. */
const subscriberClient: Hook = (step, decoder) => {
  if (step.kind === 'response' && step.response.responseStatus === 1 && decoder.expecting === 'response') decoder.expect('message');
};
/** Server: once it has (notionally) answered SUCCESS to a subscriber's config, it reads responses. */
const serverOfSubscriber: Hook = (step, decoder) => {
  if (step.kind === 'message' && step.message.kind === 'config' && step.message.config.isSubscriber) decoder.expect('response');
};

const SCENARIOS: { name: string; role: Aap2Role; bytes: Uint8Array; hook?: Hook; expected: string[] }[] = [
  {
    name: 'earth-sender, node → client',
    role: 'client',
    bytes: stream('earth-sender', ['01_n2c_VERSION_INDICATOR', '02_n2c_AAPMessage-welcome', '04_n2c_AAPResponse-SUCCESS', '07_n2c_AAPResponse-SUCCESS', '09_n2c_AAPResponse-ACK']),
    expected: ['message:welcome', 'response:1', 'response:1+headers', 'response:2'],
  },
  {
    name: 'earth-sender, client → node',
    role: 'server',
    bytes: stream('earth-sender', ['03_c2n_AAPMessage-config', '05_c2n_AAPMessage-adu', '06_c2n_ADU-payload', '08_c2n_AAPMessage-keepalive']),
    expected: ['message:config', 'message:adu', 'payload:370', 'message:keepalive'],
  },
  {
    name: 'mars-subscriber, node → client (roles flip after SUCCESS)',
    role: 'client',
    hook: subscriberClient,
    bytes: stream('mars-subscriber', ['01_n2c_VERSION_INDICATOR', '02_n2c_AAPMessage-welcome', '04_n2c_AAPResponse-SUCCESS', '05_n2c_AAPMessage-adu', '06_n2c_ADU-payload', '08_n2c_AAPMessage-keepalive']),
    expected: ['message:welcome', 'response:1', 'message:adu', 'payload:370', 'message:keepalive'],
  },
  {
    name: 'mars-subscriber, client → node',
    role: 'server',
    hook: serverOfSubscriber,
    bytes: stream('mars-subscriber', ['03_c2n_AAPMessage-config', '07_c2n_AAPResponse-SUCCESS', '09_c2n_AAPResponse-ACK']),
    expected: ['message:config', 'response:1', 'response:2'],
  },
  {
    name: 'earth-errors, node → client',
    role: 'client',
    bytes: stream('earth-errors', ['01_n2c_VERSION_INDICATOR', '02_n2c_AAPMessage-welcome', '05_n2c_AAPResponse-NOT_FOUND', '07_n2c_AAPResponse-UNAUTHORIZED', '09_n2c_AAPResponse-INVALID_REQUEST', '11_n2c_AAPResponse-SUCCESS', '14_n2c_AAPResponse-INVALID_REQUEST']),
    expected: ['message:welcome', 'response:11', 'response:12', 'response:10', 'response:1', 'response:10'],
  },
  {
    name: 'earth-errors, client → node, ending in the 03 ff ff ff garbage',
    role: 'server',
    bytes: stream('earth-errors', ['03_c2n_AAPMessage-adu', '04_c2n_ADU-payload', '06_c2n_AAPMessage-config', '08_c2n_AAPMessage-config', '10_c2n_AAPMessage-config', '12_c2n_AAPMessage-adu', '13_c2n_ADU-payload', '15_c2n_garbage']),
    expected: ['message:adu', 'payload:4', 'message:config', 'message:config', 'message:config', 'message:adu', 'payload:4', 'error:PROTOBUF_MALFORMED'],
  },
];

describe('AAP 2.0 decoder: uD3TN streams in every chunk size', () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      for (let size = 1; size <= s.bytes.length; size++) {
        expect(decodeAll(chunks(s.bytes, size), s.role, s.hook).map(label)).toEqual(s.expected);
      }
    });
  }

  it('the ADU payload is its own step, a view of the chunk, equal to the payload file', () => {
    const bytes = SCENARIOS[1]?.bytes as Uint8Array;
    const payload = decodeAll([bytes], 'server').find((s) => s.kind === 'payload');
    expect(payload?.kind === 'payload' && payload.payload).toEqual(file('earth-sender_06_c2n_ADU-payload'));
    expect(payload?.kind === 'payload' && payload.payload.buffer).toBe(bytes.buffer);
    expect(payload?.kind === 'payload' && payload.payload.subarray(0, 14)).toEqual(ascii('HELO earth.dtn'));
  });

  it('the earth-errors garbage error points into the garbage frame', () => {
    const bytes = SCENARIOS[5]?.bytes as Uint8Array;
    const last = decodeAll([bytes], 'server').at(-1);
    expect(last?.kind === 'error' && last.error.offset).toBe(bytes.length - 3);
  });
});

describe('AAP 2.0 decoder: version, limits, errors', () => {
  it('a client that reaches an AAP v1 node gets AAP_VERSION_MISMATCH from its WELCOME byte', () => {
    const steps = decodeAll([ud3tnVector('aap1/earth-smtp_01_n2c_WELCOME.bin')], 'client');
    expect(steps).toEqual([{ kind: 'error', error: { code: 'AAP_VERSION_MISMATCH', message: expect.stringContaining('AAP v1'), offset: 0 } }]);
  });

  it('refuses a frame length above LIMITS.aap2MaxMessageBytes from the varint alone', () => {
    expect(decodeAll([fromHex('2f 818004')], 'client').map(label)).toEqual(['error:LIMIT_EXCEEDED']); // 65537
  });

  it('refuses an ADU payload_length above maxPayload before any payload byte', () => {
    const adu = encodeAap2Message({ kind: 'adu', adu: { dstEid: 'dtn://a/b', payloadLength: 1001 } });
    if (!adu.ok) throw new Error(adu.error.message);
    expect(decodeAll([adu.value], 'server', undefined, 1000).map(label)).toEqual(['error:LIMIT_EXCEEDED']);
    expect(decodeAll([adu.value], 'server', undefined, 1001).map(label)).toEqual(['message:adu']);
  });

  it('errors are final', () => {
    const decoder = createAap2Decoder({ role: 'server' });
    decoder.push(fromHex('03ffffff'));
    const error = decoder.next();
    expect(error.kind).toBe('error');
    decoder.push(fromHex('023200'));
    expect(decoder.next()).toBe(error);
  });

  it('an empty ADU payload is still its own (empty) step', () => {
    const parts = encodeAap2AduParts({ dstEid: 'dtn://earth.dtn/echo' }, new Uint8Array(0));
    if (!parts.ok) throw new Error(parts.error.message);
    expect(decodeAll([concat(parts.value)], 'server').map(label)).toEqual(['message:adu', 'payload:0']);
  });
});

const str = fc.string({ unit: 'binary', maxLength: 40 });
const u64 = fc.maxSafeNat();
const u32 = fc.nat({ max: 0xffffffff });
const bundleArb = fc.record({
  srcEid: str,
  dstEid: str,
  creationTimestampMs: u64,
  sequenceNumber: u64,
  payloadLength: u64,
  fragmentOffset: u64,
  totalAduLength: u64,
  lifetimeMs: u64,
});
const messageArb: fc.Arbitrary<Aap2Message> = fc.oneof(
  fc.record({ kind: fc.constant('welcome' as const), welcome: fc.record({ nodeId: str }) }),
  fc.record({
    kind: fc.constant('config' as const),
    config: fc.record({ isSubscriber: fc.boolean(), authType: u32, secret: str, endpointId: str, keepaliveSeconds: u32 }),
  }),
  fc.record({
    kind: fc.constant('adu' as const),
    adu: fc.record({ srcEid: str, dstEid: str, creationTimestampMs: u64, sequenceNumber: u64, payloadLength: fc.nat({ max: 300 }), aduFlags: u32 }),
  }),
  fc.constant({ kind: 'keepalive' as const, keepalive: {} }),
);
const responseArb: fc.Arbitrary<Aap2Response> = fc.record({
  responseStatus: u32,
  bundleHeaders: fc.option(bundleArb, { nil: undefined }),
});

describe('AAP 2.0: property round trips', () => {
  it('AAPMessages (with ADU payloads) and AAPResponses decode back in random chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(messageArb.map((m) => ({ m })), responseArb.map((r) => ({ r }))), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
        (items, sizes) => {
          const bytes: Uint8Array[] = [];
          for (const it of items) {
            const e = 'm' in it ? encodeAap2Message(it.m) : encodeAap2Response(it.r);
            if (!e.ok) throw new Error(e.error.message);
            bytes.push(e.value);
            if ('m' in it && it.m.kind === 'adu') bytes.push(new Uint8Array(it.m.adu.payloadLength).fill(0xa5));
          }
          const whole = concat(bytes);
          const parts: Uint8Array[] = [];
          for (let i = 0, k = 0; i < whole.length; k++) {
            const n = sizes[k % sizes.length] as number;
            parts.push(whole.subarray(i, i + n));
            i += n;
          }
          // Tell the decoder what each next frame is, as a caller that knows the conversation would.
          let next = 0;
          const expectNext = (d: Aap2Decoder): void => {
            const it = items[next];
            if (it !== undefined) d.expect('m' in it ? 'message' : 'response');
          };
          const decoder = createAap2Decoder({ role: 'server' });
          expectNext(decoder);
          const got: ({ m: Aap2Message } | { r: Aap2Response })[] = [];
          for (const p of parts) {
            decoder.push(p);
            for (let s = decoder.next(); s.kind !== 'need-more'; s = decoder.next()) {
              if (s.kind === 'error') throw new Error(s.error.message);
              if (s.kind === 'payload') continue;
              got.push(s.kind === 'message' ? { m: s.message } : { r: (s as { response: Aap2Response }).response });
              next++;
              expectNext(decoder);
            }
          }
          expect(got).toEqual(items);
        },
      ),
      { numRuns: 300 },
    );
  });
});
