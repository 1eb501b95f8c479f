import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits';
import { encodeConfig } from './encode';
import { parseConfig } from './parse';
import type { ConfigCommand, ConfigContact } from './types';

const text = (r: ReturnType<typeof encodeConfig>): string | undefined => (r.ok ? new TextDecoder().decode(r.value) : undefined);
const base: ConfigCommand = { command: 'add', nodeId: 'dtn://mars.dtn/', claAddress: 'mtcp:127.0.0.1:15225', reachableEids: [], contacts: [] };

describe('encodeConfig', () => {
  it('writes the ud3tn_utils form (the payload of aap1/earth-config_04)', () => {
    const r = encodeConfig([{ ...base, contacts: [{ start: 848946030, end: 849032430, rate: 1000000000, reachableEids: [] }] }]);
    expect(text(r)).toBe('1(dtn://mars.dtn/):(mtcp:127.0.0.1:15225)::[{848946030,849032430,1000000000}];');
  });

  it('leaves out trailing empty fields and keeps empty middle ones', () => {
    expect(text(encodeConfig([{ command: 'delete', nodeId: 'dtn://a/', reachableEids: [], contacts: [] }]))).toBe('3(dtn://a/);');
    expect(text(encodeConfig([{ command: 'add', nodeId: 'dtn://a/', reliability: 500, reachableEids: [], contacts: [] }]))).toBe('1(dtn://a/),500;');
    expect(text(encodeConfig([{ command: 'delete', nodeId: 'dtn://a/', reachableEids: [], contacts: [{ start: 1, end: 2, rate: 3, reachableEids: [] }] }]))).toBe(
      '3(dtn://a/):::[{1,2,3}];',
    );
    expect(text(encodeConfig([{ command: 'replace', nodeId: 'ipn:2.0', claAddress: '', reachableEids: ['ipn:3.0'], contacts: [] }]))).toBe('2(ipn:2.0):():[(ipn:3.0)];');
    expect(text(encodeConfig([{ command: 'query', nodeId: 'dtn://a/', reachableEids: [], contacts: [] }]))).toBe('4(dtn://a/);');
  });

  it('concatenates several commands', () => {
    expect(text(encodeConfig([base, { command: 'delete', nodeId: 'dtn://b/', reachableEids: [], contacts: [] }]))).toBe(
      '1(dtn://mars.dtn/):(mtcp:127.0.0.1:15225);3(dtn://b/);',
    );
  });

  const refused: [string, ConfigCommand][] = [
    ["')' in the node ID", { ...base, nodeId: 'dtn://a)/' }],
    ['empty node ID', { ...base, nodeId: '' }],
    ['space in an EID', { ...base, reachableEids: ['dtn://a b/'] }],
    ['non-ASCII in an EID', { ...base, reachableEids: ['dtn://é/'] }],
    ["'_' in the CLA address", { ...base, claAddress: 'mtcp:a_b:1' }],
    ['reliability 99', { ...base, reliability: 99 }],
    ['reliability 100.5', { ...base, reliability: 100.5 }],
    ['negative start', { ...base, contacts: [{ start: -1, end: 2, rate: 3, reachableEids: [] }] }],
    ['rate above uint32', { ...base, contacts: [{ start: 1, end: 2, rate: 2 ** 32, reachableEids: [] }] }],
    ['NaN end', { ...base, contacts: [{ start: 1, end: Number.NaN, rate: 3, reachableEids: [] }] }],
    ['EID too long', { ...base, nodeId: 'a'.repeat(LIMITS.eidMaxLength + 1) }],
    ['unknown command', { ...base, command: 'update' } as unknown as ConfigCommand],
  ];
  for (const [name, cmd] of refused) {
    it(`refuses ${name}`, () => {
      const r = encodeConfig([cmd]);
      expect(r.ok ? 'encoded' : r.error.code).toBe('INVALID_ARGUMENT');
    });
  }

  it('refuses an empty command list', () => {
    const r = encodeConfig([]);
    expect(r.ok ? 'encoded' : r.error.code).toBe('INVALID_ARGUMENT');
  });
});

const eidChar = fc.constantFrom(...'!"#$%&\'(*+,-./0123456789:<=>?@ABCXYZ[\\]^_abcxyz~'.split(''));
const eid = fc.string({ unit: eidChar, minLength: 1, maxLength: 30 });
const claChar = fc.constantFrom(...'0123456789AZaz:.[]#/-'.split(''));
const seconds = fc.integer({ min: 0, max: Math.floor(Number.MAX_SAFE_INTEGER / 1000) });
const contact: fc.Arbitrary<ConfigContact> = fc.record({
  start: seconds,
  end: seconds,
  rate: fc.integer({ min: 0, max: 0xffff_ffff }),
  reachableEids: fc.array(eid, { maxLength: 3 }),
});
const command: fc.Arbitrary<ConfigCommand> = fc.record(
  {
    command: fc.constantFrom('add', 'replace', 'delete', 'query'),
    nodeId: eid,
    reliability: fc.integer({ min: 100, max: 1000 }),
    claAddress: fc.string({ unit: claChar, maxLength: 30 }),
    reachableEids: fc.array(eid, { maxLength: 3 }),
    contacts: fc.array(contact, { maxLength: 3 }),
  },
  { requiredKeys: ['command', 'nodeId', 'reachableEids', 'contacts'] },
);

describe('encodeConfig → parseConfig', () => {
  it('round-trips every representable command list', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 4 }), (cmds) => {
        const enc = encodeConfig(cmds);
        expect(enc.ok).toBe(true);
        if (!enc.ok) return;
        const dec = parseConfig(enc.value);
        expect(dec.ok && dec.value).toEqual(cmds);
      }),
      { numRuns: 2000 },
    );
  });
});
