import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../test-support/vectors';
import { AAP_MESSAGE, BUNDLE_ADU, CONNECTION_CONFIG, WELCOME } from './messages';
import { decodeMessage, encodeMessage, readVarint, varintSize, writeVarint } from './protobuf';

function code(r: { ok: boolean; error?: { code: string } }): string {
  return r.ok ? 'ok' : (r.error?.code ?? '');
}

describe('protobuf varints', () => {
  it('reads the encoding guide examples: 01, 96 01 = 150, and the 10-byte maximum', () => {
    expect(readVarint(fromHex('01'), 0, 1)).toEqual({ value: 1, end: 1 });
    expect(readVarint(fromHex('9601'), 0, 2)).toEqual({ value: 150, end: 2 });
    expect(readVarint(fromHex('ffffffffffffffffff01'), 0, 10)).toEqual({ value: -1, end: 10 }); // 2^64-1: above 2^53-1
    expect(readVarint(fromHex('ffffffffffffff0f'), 0, 8)).toEqual({ value: Number.MAX_SAFE_INTEGER, end: 8 });
  });

  it('needs more bytes when cut off; refuses 11 bytes and bits past 64', () => {
    expect(readVarint(fromHex('9601'), 0, 1)).toBe('need-more');
    expect(readVarint(fromHex('80808080808080808080 00'), 0, 11)).toBe('malformed');
    expect(readVarint(fromHex('ffffffffffffffffff02'), 0, 10)).toBe('malformed');
  });

  it('writes minimal varints', () => {
    for (const [v, h] of [[0, '00'], [127, '7f'], [128, '8001'], [300, 'ac02'], [Number.MAX_SAFE_INTEGER, 'ffffffffffffff0f']] as const) {
      const out = new Uint8Array(varintSize(v));
      expect(writeVarint(out, 0, v)).toBe(out.length);
      expect(hex(out)).toBe(h);
    }
  });
});

describe('protobuf decoding rules', () => {
  const welcome = fromHex('0a03616263'); // Welcome{node_id: "abc"}

  it('skips unknown fields of wire types 0, 1, 2 and 5', () => {
    const unknown = fromHex('1805' + '210102030405060708' + '2a02ffff' + '3501020304');
    const r = decodeMessage(WELCOME, new Uint8Array([...unknown, ...welcome, ...unknown]));
    expect(r).toEqual({ ok: true, value: { nodeId: 'abc' } });
  });

  it('refuses groups, wire types 6/7, field number 0 and a known field with the wrong wire type', () => {
    for (const bad of ['1b', '1c', '1e00', '1f00', '0000', '0d01020304', '0801']) {
      expect(code(decodeMessage(WELCOME, fromHex(bad)))).toBe('PROTOBUF_MALFORMED');
    }
  });

  it('refuses lengths and fixed-size fields running past the end, and cut-off varints', () => {
    for (const bad of ['0a04616263', '2a05ffff', '3501', '2101020304050607', '1880']) {
      expect(code(decodeMessage(WELCOME, fromHex(bad)))).toBe('PROTOBUF_MALFORMED');
    }
  });

  it('refuses strings that are not UTF-8 (proto3)', () => {
    expect(code(decodeMessage(WELCOME, fromHex('0a02c328')))).toBe('PROTOBUF_MALFORMED');
  });

  it('uint64 above 2^53-1 is LIMIT_EXCEEDED; uint32 or enum above 2^32-1 is PROTOBUF_MALFORMED', () => {
    expect(code(decodeMessage(BUNDLE_ADU, fromHex('18ffffffffffffff0f')))).toBe('ok');
    expect(code(decodeMessage(BUNDLE_ADU, fromHex('1880808080808080 10')))).toBe('LIMIT_EXCEEDED');
    expect(code(decodeMessage(CONNECTION_CONFIG, fromHex('28ffffffff0f')))).toBe('ok');
    expect(code(decodeMessage(CONNECTION_CONFIG, fromHex('288080808010')))).toBe('PROTOBUF_MALFORMED');
    expect(code(decodeMessage(BUNDLE_ADU, fromHex('30ffffffffffffffffff01')))).toBe('PROTOBUF_MALFORMED'); // enum -1
  });

  it('accepts non-minimal varints; the last occurrence of a field wins; any non-zero bool is true', () => {
    expect(decodeMessage(BUNDLE_ADU, fromHex('28f28200'))).toMatchObject({ ok: true, value: { payloadLength: 370 } });
    expect(decodeMessage(WELCOME, fromHex('0a0178 0a0179'))).toEqual({ ok: true, value: { nodeId: 'y' } });
    expect(decodeMessage(CONNECTION_CONFIG, fromHex('0802'))).toMatchObject({ ok: true, value: { isSubscriber: true } });
  });

  it('a oneof keeps only the member seen last', () => {
    const r = decodeMessage(AAP_MESSAGE, fromHex('0a030a0178 3200'));
    expect(r).toEqual({ ok: true, value: { welcome: undefined, config: undefined, adu: undefined, keepalive: {} } });
  });

  it('fills proto3 defaults for absent fields and omits them when encoding', () => {
    expect(decodeMessage(CONNECTION_CONFIG, new Uint8Array(0))).toEqual({
      ok: true,
      value: { isSubscriber: false, authType: 0, secret: '', endpointId: '', keepaliveSeconds: 0 },
    });
    const r = encodeMessage(CONNECTION_CONFIG, { isSubscriber: false, authType: 0, secret: '', endpointId: '', keepaliveSeconds: 0 });
    expect(r.ok && r.value.length).toBe(0);
  });
});
