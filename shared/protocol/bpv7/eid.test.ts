import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eidArb } from '../../test-support/bpv7-arbitraries';
import { fromHex, hex } from '../../test-support/vectors';
import {
  DTN_NONE,
  decodeEid,
  dtnDemux,
  dtnEid,
  eidEquals,
  eidKey,
  eidSize,
  encodeEid,
  formatEid,
  ipnEid,
  isNodeId,
  isNullEid,
  nodeIdOf,
  parseEid,
  sameNode,
  validateEid,
} from './eid';
import type { Eid } from './types';

function parsed(text: string): Eid {
  const r = parseEid(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function encoded(eid: Eid): string {
  const r = encodeEid(eid);
  if (!r.ok) throw new Error(r.error.message);
  return hex(r.value);
}

describe('EID CBOR encoding (RFC 9171 §4.2.5.1, RFC 9758; protocols.md §3.7)', () => {
  it.each([
    ['dtn:none', '820100'],
    ['dtn://mars.dtn/smtp', '82016f2f2f6d6172732e64746e2f736d7470'], // from cla-mtcp/bsmtp-dtn.bundle.bin
    ['ipn:23.42', '8202821718' + '2a'],
    ['ipn:2.25', '820282021819'], // worked example (c)
    ['ipn:1.0', '8202820100'],
  ])('%s ⇄ %s', (text, h) => {
    const eid = parsed(text);
    expect(encoded(eid)).toBe(h);
    const back = decodeEid(fromHex(h));
    expect(back.ok && formatEid(back.value)).toBe(text);
  });

  it('ipn with an allocator: 3-element form by default, 2-element FQNN form on request (RFC 9758)', () => {
    const eid = parsed('ipn:977.2.25');
    if (eid.scheme !== 'ipn') throw new Error('expected ipn');
    expect(eid).toEqual({ scheme: 'ipn', allocator: 977, node: 2, service: 25 });
    expect(encoded(eid)).toBe('8202' + '83' + '1903d1' + '02' + '1819');
    // FQNN = 977 << 32 | 2 = 0x000003d1_00000002
    expect(encoded({ ...eid, wireForm: 2 })).toBe('8202' + '82' + '1b000003d100000002' + '1819');
  });

  it('decodes both ipn forms and remembers which one came (re-encoding keeps the bytes)', () => {
    for (const h of ['820282' + '1b000003d100000002' + '1819', '820283' + '1903d1' + '02' + '1819', '820283' + '00' + '02' + '1819']) {
      const r = decodeEid(fromHex(h));
      expect(r.ok).toBe(true);
      if (r.ok) expect(encoded(r.value)).toBe(h);
    }
    expect(decodeEid(fromHex('8202821b000003d1000000021819'))).toEqual({
      ok: true,
      value: { scheme: 'ipn', allocator: 977, node: 2, service: 25, wireForm: 2 },
    });
  });

  it('decodes an FQNN above 2^53 (allocator ≥ 2^21) without losing bits', () => {
    const r = decodeEid(fromHex('8202821bfffffffe000000070a'));
    expect(r).toEqual({ ok: true, value: { scheme: 'ipn', allocator: 0xfffffffe, node: 7, service: 10, wireForm: 2 } });
    if (r.ok) expect(encoded(r.value)).toBe('8202821bfffffffe000000070a');
  });

  it.each([
    ['8201', 'TRUNCATED'],
    ['820301', 'INVALID_EID'], // unknown scheme code 3
    ['83010000', 'INVALID_EID'], // 3 items
    ['820101', 'INVALID_EID'], // dtn SSP 1
    ['8201646e6f6e65', 'INVALID_EID'], // [1, "none"]: the null endpoint is [1, 0]
    ['8201632f2f78', 'INVALID_EID'], // "//x" has no "/" after the node
    ['82016a6e6f64652e64746e2f78', 'INVALID_EID'], // "node.dtn/x" without "//" (pre-RFC dtn7-rs form)
    ['8201662f2f612f2078', 'INVALID_EID'], // demux with a space
    ['8201662f2f61c3a92f', 'INVALID_EID'], // non-ASCII node name
    ['82028101', 'INVALID_EID'], // [2, [1]]
    ['8202831b00000001000000000102', 'INVALID_EID'], // allocator 2^32 in the 3-element form
    ['8202820102ff', 'TRAILING_BYTES'],
    ['8202821bffffffffffffffff', 'TRUNCATED'],
    ['9f0100ff', 'UNSUPPORTED'],
  ])('refuses %s with %s', (h, code) => {
    const r = decodeEid(fromHex(h));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('refuses a dtn SSP longer than LIMITS.eidMaxLength before looking at its characters', () => {
    const ssp = `//a/${'x'.repeat(2000)}`;
    const bytes = new Uint8Array(5 + ssp.length);
    bytes.set([0x82, 0x01, 0x79, ssp.length >> 8, ssp.length & 0xff]);
    for (let i = 0; i < ssp.length; i++) bytes[5 + i] = ssp.charCodeAt(i);
    expect(decodeEid(bytes)).toMatchObject({ ok: false, error: { code: 'INVALID_EID' } });
  });

  it('announced text length past the input is TRUNCATED, not an allocation', () => {
    const r = decodeEid(fromHex('82017b7fffffffffffffff2f2f'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(['TRUNCATED', 'LIMIT_EXCEEDED']).toContain(r.error.code);
  });
});

describe('EID text forms', () => {
  it.each(['dtn:none', 'dtn://earth.dtn/', 'dtn://earth.dtn/smtp', 'dtn://a/~group/x?y=1', 'dtn://C/', 'ipn:0.0', 'ipn:2.25', 'ipn:977.2.25', 'ipn:4294967295.18446744073709'])(
    'parses and formats %s unchanged',
    (text) => {
      expect(formatEid(parsed(text))).toBe(text);
    },
  );

  it.each([
    ['', 'unknown EID scheme'],
    ['not an eid', 'unknown EID scheme'], // aap2/earth-errors_08
    ['not-an-eid', 'unknown EID scheme'], // aap1-errors/probe_sendbundle_bad_dest_eid
    ['DTN://earth.dtn/', 'unknown EID scheme'],
    ['dtn:', 'starts with "dtn://"'],
    ['dtn:earth.dtn/smtp', 'starts with "dtn://"'],
    ['dtn://', 'node name'],
    ['dtn:///smtp', 'node name'],
    ['dtn://earth.dtn', 'needs a "/" after the node name'],
    ['dtn://earth dtn/', 'not allowed in a dtn node name'],
    ['dtn://earth~1/', 'not allowed in a dtn node name'],
    ['dtn://earth.dtn/a b', 'not allowed in a dtn demux'],
    ['dtn://earth.dtn/é', 'not allowed in a dtn demux'],
    ['dtn://earth.dtn/tab\t', 'not allowed in a dtn demux'],
    ['ipn:1', 'ipn:node.service'],
    ['ipn:1.2.3.4', 'ipn:node.service'],
    ['ipn:01.2', 'leading zeros'],
    ['ipn:1.+2', 'decimal'],
    ['ipn:-1.2', 'decimal'],
    ['ipn:1.2 ', 'decimal'],
    ['ipn:4294967296.1', '2^32-1'],
    ['ipn:1.9007199254740992', '2^53-1'],
    ['ipn:.1', 'decimal'],
  ])('refuses %j (%s)', (text, why) => {
    const r = parseEid(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('INVALID_EID');
      expect(r.error.message).toContain(why);
    }
  });

  it('refuses EIDs longer than LIMITS.eidMaxLength', () => {
    expect(parseEid(`dtn://a/${'x'.repeat(2000)}`).ok).toBe(false);
  });

  it('builds EIDs from parts', () => {
    expect(dtnEid('mars.dtn', 'smtp')).toEqual({ ok: true, value: { scheme: 'dtn', ssp: '//mars.dtn/smtp' } });
    expect(dtnEid('mars.dtn')).toEqual({ ok: true, value: { scheme: 'dtn', ssp: '//mars.dtn/' } });
    expect(dtnEid('mars dtn').ok).toBe(false);
    expect(ipnEid(2, 25)).toEqual({ ok: true, value: { scheme: 'ipn', allocator: 0, node: 2, service: 25 } });
    expect(ipnEid(2 ** 32, 1).ok).toBe(false);
    expect(validateEid({ scheme: 'ipn', allocator: 0, node: 1.5, service: 1 }).ok).toBe(false);
    expect(validateEid({ scheme: 'dtn', ssp: '//x' }).ok).toBe(false);
  });
});

describe('node IDs (RFC 9171 §4.2.5.2)', () => {
  it('derives node IDs', () => {
    expect(formatEid(nodeIdOf(parsed('dtn://mars.dtn/smtp')))).toBe('dtn://mars.dtn/');
    expect(formatEid(nodeIdOf(parsed('dtn://mars.dtn/a/b')))).toBe('dtn://mars.dtn/');
    expect(formatEid(nodeIdOf(parsed('dtn://mars.dtn/')))).toBe('dtn://mars.dtn/');
    expect(formatEid(nodeIdOf(parsed('ipn:2.25')))).toBe('ipn:2.0');
    expect(formatEid(nodeIdOf(parsed('ipn:977.2.25')))).toBe('ipn:977.2.0');
    expect(nodeIdOf(DTN_NONE)).toBe(DTN_NONE);
  });

  it('recognises node IDs, the null endpoint and same-node EIDs', () => {
    expect(isNodeId(parsed('dtn://mars.dtn/'))).toBe(true);
    expect(isNodeId(parsed('dtn://mars.dtn/smtp'))).toBe(false);
    expect(isNodeId(parsed('ipn:2.0'))).toBe(true);
    expect(isNodeId(parsed('ipn:2.25'))).toBe(false);
    expect(isNodeId(DTN_NONE)).toBe(false);
    expect(isNullEid(parsed('dtn:none'))).toBe(true);
    expect(sameNode(parsed('dtn://mars.dtn/smtp'), parsed('dtn://mars.dtn/'))).toBe(true);
    expect(sameNode(parsed('dtn://mars.dtn/smtp'), parsed('dtn://earth.dtn/smtp'))).toBe(false);
    expect(sameNode(parsed('ipn:2.25'), parsed('ipn:977.2.25'))).toBe(false);
    expect(sameNode(DTN_NONE, DTN_NONE)).toBe(false);
    expect(dtnDemux(parsed('dtn://mars.dtn/smtp'))).toBe('smtp');
    expect(dtnDemux(parsed('dtn://mars.dtn/'))).toBe('');
    expect(dtnDemux(parsed('ipn:2.25'))).toBeUndefined();
  });

  it('keys ignore the ipn wire form', () => {
    const a: Eid = { scheme: 'ipn', allocator: 0, node: 2, service: 25, wireForm: 3 };
    expect(eidKey(a)).toBe(eidKey(parsed('ipn:2.25')));
    expect(eidEquals(a, parsed('ipn:2.25'))).toBe(true);
    expect(eidEquals(a, parsed('dtn://x/'))).toBe(false);
  });
});

describe('EID properties', () => {
  it('CBOR round trip: decode(encode(e)) = e with its wire form, and eidSize is exact', () => {
    fc.assert(
      fc.property(eidArb, (eid) => {
        const bytes = encodeEid(eid);
        expect(bytes.ok).toBe(true);
        if (!bytes.ok) return;
        expect(bytes.value.length).toBe(eidSize(eid));
        const back = decodeEid(bytes.value);
        expect(back.ok).toBe(true);
        if (!back.ok) return;
        expect(eidEquals(back.value, eid)).toBe(true);
        if (eid.scheme === 'ipn' && back.value.scheme === 'ipn') {
          expect(back.value.wireForm).toBe(eid.wireForm ?? (eid.allocator === 0 ? 2 : 3));
        }
        expect(encodeEid(back.value)).toEqual(bytes);
      }),
    );
  });

  it('text round trip: parse(format(e)) equals e', () => {
    fc.assert(
      fc.property(eidArb, (eid) => {
        const back = parseEid(formatEid(eid));
        expect(back.ok && eidEquals(back.value, eid)).toBe(true);
      }),
    );
  });
});
