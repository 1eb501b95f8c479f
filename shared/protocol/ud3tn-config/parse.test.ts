import { describe, expect, it } from 'vitest';
import { ascii, haveVectors, ud3tnVector } from '../../test-support/vectors';
import { LIMITS } from '../limits';
import { encodeConfig } from './encode';
import { parseConfig } from './parse';
import type { ConfigCommand } from './types';

/** The payload of an AAP v1 SENDBUNDLE (protocols.md §4.2): type byte, u16 EID length, EID, u64 length, payload. */
function sendBundlePayload(message: Uint8Array): { destination: string; payload: Uint8Array } {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const eidLength = view.getUint16(1);
  const destination = new TextDecoder().decode(message.subarray(3, 3 + eidLength));
  const payloadLength = Number(view.getBigUint64(3 + eidLength));
  const payload = message.subarray(3 + eidLength + 8);
  expect(payload.length).toBe(payloadLength);
  return { destination, payload };
}

function parsed(text: string): ConfigCommand[] {
  const r = parseConfig(ascii(text));
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${r.error.code} ${r.error.message} at ${r.error.offset}`);
  return r.value;
}

function failure(text: string | Uint8Array): { code: string; offset: number | undefined } {
  const r = parseConfig(typeof text === 'string' ? ascii(text) : text);
  if (r.ok) throw new Error(`expected ${JSON.stringify(text)} to be refused`);
  return { code: r.error.code, offset: r.error.offset };
}

function roundTrips(text: string): void {
  const enc = encodeConfig(parsed(text));
  expect(enc.ok && new TextDecoder().decode(enc.value)).toBe(text);
}

describe('parseConfig: the protocols.md §7.2 examples', () => {
  it('aap_config.py form (contact from now+1 to now+3601 at 100000 B/s)', () => {
    const text = '1(dtn://b.dtn/):(mtcp:localhost:4225)::[{848946031,848949631,100000}];';
    expect(parsed(text)).toEqual([
      {
        command: 'add',
        nodeId: 'dtn://b.dtn/',
        claAddress: 'mtcp:localhost:4225',
        reachableEids: [],
        contacts: [{ start: 848946031, end: 848949631, rate: 100000, reachableEids: [] }],
      },
    ]);
    roundTrips(text);
  });

  it.runIf(haveVectors)('the payload a real uD3TN accepted (aap1/earth-config_04_c2n_SENDBUNDLE.bin)', () => {
    const { destination, payload } = sendBundlePayload(ud3tnVector('aap1/earth-config_04_c2n_SENDBUNDLE.bin'));
    expect(destination).toBe('dtn://earth.dtn/config');
    const r = parseConfig(payload);
    expect(r.ok && r.value).toEqual([
      {
        command: 'add',
        nodeId: 'dtn://mars.dtn/',
        claAddress: 'mtcp:127.0.0.1:15225',
        reachableEids: [],
        contacts: [{ start: 848946030, end: 849032430, rate: 1000000000, reachableEids: [] }],
      },
    ]);
    const enc = r.ok ? encodeConfig(r.value) : r;
    expect(enc.ok && enc.value).toEqual(new Uint8Array(payload));
  });

  it('ipn node', () => {
    const text = '1(ipn:2.0):(mtcp:127.0.0.1:15225)::[{848946032,849032432,1000000000}];';
    expect(parsed(text)).toEqual([
      {
        command: 'add',
        nodeId: 'ipn:2.0',
        claAddress: 'mtcp:127.0.0.1:15225',
        reachableEids: [],
        contacts: [{ start: 848946032, end: 849032432, rate: 1000000000, reachableEids: [] }],
      },
    ]);
    roundTrips(text);
  });

  it("uD3TN's own test vector (node-level reachable EID)", () => {
    const text = '1(dtn://ud3tn-hotspot.dtn/):(tcpspp):[(dtn://ud3tn-coldspot.dtn/)]:[{710602659,710602669,1000}];';
    expect(parsed(text)).toEqual([
      {
        command: 'add',
        nodeId: 'dtn://ud3tn-hotspot.dtn/',
        claAddress: 'tcpspp',
        reachableEids: ['dtn://ud3tn-coldspot.dtn/'],
        contacts: [{ start: 710602659, end: 710602669, rate: 1000, reachableEids: [] }],
      },
    ]);
    roundTrips(text);
  });
});

describe('parseConfig: the examples of contacts_data_format.md (v0.13)', () => {
  it('contact-level EID lists, two contacts', () => {
    const text =
      '1(dtn://ud3tn2.dtn/):(mtcp:127.0.0.1:4223)::[{1401519306972,1401519316972,1200,[(dtn://89326/),(dtn://12349/)]},{1401519506972,1401519516972,1200,[(dtn://89326/),(dtn://12349/)]}];';
    const [c] = parsed(text);
    expect(c?.contacts).toEqual([
      { start: 1401519306972, end: 1401519316972, rate: 1200, reachableEids: ['dtn://89326/', 'dtn://12349/'] },
      { start: 1401519506972, end: 1401519516972, rate: 1200, reachableEids: ['dtn://89326/', 'dtn://12349/'] },
    ]);
    roundTrips(text);
  });

  it('no CLA address, node-level EIDs and a contact', () => {
    const text = '1(dtn://ud3tn2.dtn/)::[(dtn://18471/),(dtn://81491/)]:[{1401519406972,1401819306972,1200}];';
    expect(parsed(text)).toEqual([
      {
        command: 'add',
        nodeId: 'dtn://ud3tn2.dtn/',
        reachableEids: ['dtn://18471/', 'dtn://81491/'],
        contacts: [{ start: 1401519406972, end: 1401819306972, rate: 1200, reachableEids: [] }],
      },
    ]);
    roundTrips(text);
  });

  it('replace, delete, an empty-host CLA address and a reliability', () => {
    expect(parsed('2(dtn://ud3tn2.dtn/):(mtcp:127.0.0.1:4223):[(dtn://89326/),(dtn://12349/)];')).toEqual([
      { command: 'replace', nodeId: 'dtn://ud3tn2.dtn/', claAddress: 'mtcp:127.0.0.1:4223', reachableEids: ['dtn://89326/', 'dtn://12349/'], contacts: [] },
    ]);
    expect(parsed('3(dtn://ud3tn2.dtn/);')).toEqual([{ command: 'delete', nodeId: 'dtn://ud3tn2.dtn/', reachableEids: [], contacts: [] }]);
    expect(parsed('1(dtn://13714/):(tcpspp:):[(dtn://18471/),(dtn://81491/)];')[0]?.claAddress).toBe('tcpspp:');
    expect(parsed('1(dtn://13714/),333;')).toEqual([{ command: 'add', nodeId: 'dtn://13714/', reliability: 333, reachableEids: [], contacts: [] }]);
    for (const text of [
      '2(dtn://ud3tn2.dtn/):(mtcp:127.0.0.1:4223):[(dtn://89326/),(dtn://12349/)];',
      '3(dtn://ud3tn2.dtn/);',
      '1(dtn://13714/):(tcpspp:):[(dtn://18471/),(dtn://81491/)];',
      '1(dtn://13714/),333;',
    ]) {
      roundTrips(text);
    }
  });
});

describe('parseConfig: what uD3TN v0.13 accepts', () => {
  it('query (4) parses; v0.13 does not implement it', () => {
    expect(parsed('4(dtn://a.dtn/);')).toEqual([{ command: 'query', nodeId: 'dtn://a.dtn/', reachableEids: [], contacts: [] }]);
  });

  it('several commands, with CR/LF between and after them', () => {
    const cmds = parsed('1(dtn://a.dtn/):(mtcp:h:1);\n3(dtn://b.dtn/);\r\n2(ipn:3.0):(tcpclv3:[::1]:4556);\n');
    expect(cmds.map((c) => [c.command, c.nodeId, c.claAddress])).toEqual([
      ['add', 'dtn://a.dtn/', 'mtcp:h:1'],
      ['delete', 'dtn://b.dtn/', undefined],
      ['replace', 'ipn:3.0', 'tcpclv3:[::1]:4556'],
    ]);
  });

  it('empty fields and lists, a trailing comma before ], an empty CLA address', () => {
    expect(parsed('1(dtn://a/):;')[0]).toEqual({ command: 'add', nodeId: 'dtn://a/', reachableEids: [], contacts: [] });
    expect(parsed('1(dtn://a/):::;')[0]).toEqual({ command: 'add', nodeId: 'dtn://a/', reachableEids: [], contacts: [] });
    expect(parsed('1(dtn://a/):():[]:[];')[0]).toEqual({ command: 'add', nodeId: 'dtn://a/', claAddress: '', reachableEids: [], contacts: [] });
    expect(parsed('1(dtn://a/):(m:1):[(dtn://b/),]:[{1,2,3,[(dtn://c/),]},];')[0]).toEqual({
      command: 'add',
      nodeId: 'dtn://a/',
      claAddress: 'm:1',
      reachableEids: ['dtn://b/'],
      contacts: [{ start: 1, end: 2, rate: 3, reachableEids: ['dtn://c/'] }],
    });
    expect(parsed('1(dtn://a/):(m:1)::[{1,2,3,[]}];')[0]?.contacts).toEqual([{ start: 1, end: 2, rate: 3, reachableEids: [] }]);
  });

  it("leading zeros, '(' inside an EID, the full EID and CLA character sets", () => {
    expect(parsed('1(dtn://a/):(m:1)::[{007,0010,00}];')[0]?.contacts).toEqual([{ start: 7, end: 10, rate: 0, reachableEids: [] }]);
    expect(parsed('1(dtn://a(b/);')[0]?.nodeId).toBe('dtn://a(b/');
    expect(parsed("1(!\"#$%&'*+,-./09:<=>?@AZ[\\]^_az~);")[0]?.nodeId).toBe("!\"#$%&'*+,-./09:<=>?@AZ[\\]^_az~");
    expect(parsed('1(x):(09AZaz:.[]#/-);')[0]?.claAddress).toBe('09AZaz:.[]#/-');
  });

  it('numbers at their bounds', () => {
    const max = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
    expect(parsed(`1(x):(m)::[{${max},${max},4294967295}];`)[0]?.contacts[0]).toEqual({ start: max, end: max, rate: 4294967295, reachableEids: [] });
    expect(parsed('1(x),100;')[0]?.reliability).toBe(100);
    expect(parsed('1(x),1000;')[0]?.reliability).toBe(1000);
  });
});

describe('parseConfig: refused input, with code and offset', () => {
  const cases: [string, string, string, number][] = [
    ['unknown command byte', '5(dtn://a/);', 'MALFORMED', 0],
    ['command 0', '0(dtn://a/);', 'MALFORMED', 0],
    ['node ID without parentheses', '1dtn://a/;', 'MALFORMED', 1],
    ['missing ;', '1(dtn://a/)', 'TRUNCATED', 11],
    ['reliability below 100', '1(dtn://a/),99;', 'CONFIG_INVALID', 12],
    ['reliability above 1000 (uD3TN reads 65636 as 100)', '1(dtn://a/),65636;', 'CONFIG_INVALID', 12],
    ['empty reliability', '1(dtn://a/),;', 'MALFORMED', 12],
    ['second reliability', '1(dtn://a/),100,200;', 'MALFORMED', 15],
    ["'_' in a CLA address", '1(dtn://a/):(mtcp:a_b:1);', 'MALFORMED', 19],
    ['space in an EID', '1(dtn://a/ x);', 'MALFORMED', 10],
    ['backtick in an EID', '1(dtn://a/`);', 'MALFORMED', 10],
    ["'{' in an EID", '1(dtn://a/{);', 'MALFORMED', 10],
    ['empty node ID', '1();', 'CONFIG_INVALID', 2],
    ['empty EID in a list', '1(x)::[()];', 'CONFIG_INVALID', 8],
    ['empty start (uD3TN reads 0)', '1(x):(m)::[{,1,1}];', 'MALFORMED', 12],
    ['rate above uint32', '1(x):(m)::[{1,2,4294967296}];', 'CONFIG_INVALID', 16],
    ['start beyond exact milliseconds', '1(x):(m)::[{9007199254741,9007199254741,1}];', 'CONFIG_INVALID', 12],
    ['21 digits', '1(x):(m)::[{000000000000000000001,2,3}];', 'LIMIT_EXCEEDED', 12],
    ['missing ; after the contacts', '1(x):(m)::[{1,2,3}]', 'TRUNCATED', 19],
    ['junk after the contacts', '1(x):(m)::[{1,2,3}]x', 'MALFORMED', 19],
    ['contact EIDs without a list', '1(x):(m)::[{1,2,3,(dtn://b/)}];', 'MALFORMED', 18],
    ['a fifth field', '1(x)::::;', 'MALFORMED', 7],
    ['negative number', '1(x):(m)::[{-1,2,3}];', 'MALFORMED', 12],
    ['missing } ', '1(x):(m)::[{1,2,3;', 'MALFORMED', 17],
    ['list element without parentheses', '1(x)::[dtn://b/];', 'MALFORMED', 7],
    ['missing separator between list elements', '1(x)::[(a)(b)];', 'MALFORMED', 10],
    ['a space between commands', '1(x); 1(y);', 'MALFORMED', 5],
    ['empty payload', '', 'MALFORMED', 0],
    ['only a line break', '\r\n', 'MALFORMED', 2],
    ['a lone ;', ';', 'MALFORMED', 0],
  ];
  for (const [name, text, code, offset] of cases) {
    it(name, () => {
      expect(failure(text)).toEqual({ code, offset });
    });
  }

  it('non-ASCII bytes', () => {
    expect(failure(new Uint8Array([0x31, 0x28, 0xc3, 0xa9, 0x29, 0x3b]))).toEqual({ code: 'MALFORMED', offset: 2 });
    expect(failure(new Uint8Array([0x31, 0x28, 0x61, 0x00, 0x29, 0x3b]))).toEqual({ code: 'MALFORMED', offset: 3 });
  });

  it('every proper prefix of a valid command is TRUNCATED at its end', () => {
    const text = '1(dtn://ud3tn2.dtn/),500:(mtcp:127.0.0.1:4223):[(dtn://1/)]:[{1401519306972,1401519316972,1200,[(dtn://89326/),(dtn://12349/)]},{5,6,7}];';
    const bytes = ascii(text);
    for (let n = 1; n < bytes.length; n++) expect(failure(bytes.subarray(0, n))).toEqual({ code: 'TRUNCATED', offset: n });
  });
});

describe('parseConfig: limits', () => {
  it('payload size', () => {
    const big = new Uint8Array(LIMITS.ud3tnConfigMaxBytes + 1).fill(0x0a);
    expect(failure(big)).toEqual({ code: 'LIMIT_EXCEEDED', offset: 0 });
  });

  it('EID length, CLA address length, EIDs per list, contacts per command, commands per payload', () => {
    expect(failure(`1(${'a'.repeat(LIMITS.eidMaxLength + 1)});`)).toEqual({ code: 'LIMIT_EXCEEDED', offset: 2 });
    expect(parsed(`1(${'a'.repeat(LIMITS.eidMaxLength)});`)[0]?.nodeId.length).toBe(LIMITS.eidMaxLength);
    expect(failure(`1(x):(${'a'.repeat(LIMITS.ud3tnConfigMaxClaAddressLength + 1)});`).code).toBe('LIMIT_EXCEEDED');
    const eids = (n: number): string => `[${Array.from({ length: n }, () => '(e)').join(',')}]`;
    expect(parsed(`1(x)::${eids(LIMITS.ud3tnConfigMaxEids)};`)[0]?.reachableEids.length).toBe(LIMITS.ud3tnConfigMaxEids);
    expect(failure(`1(x)::${eids(LIMITS.ud3tnConfigMaxEids + 1)};`).code).toBe('LIMIT_EXCEEDED');
    const contacts = (n: number): string => `[${Array.from({ length: n }, (_, i) => `{${i},${i + 1},1}`).join(',')}]`;
    expect(parsed(`1(x):(m)::${contacts(LIMITS.ud3tnConfigMaxContacts)};`)[0]?.contacts.length).toBe(LIMITS.ud3tnConfigMaxContacts);
    expect(failure(`1(x):(m)::${contacts(LIMITS.ud3tnConfigMaxContacts + 1)};`).code).toBe('LIMIT_EXCEEDED');
    expect(parsed('3(x);'.repeat(LIMITS.ud3tnConfigMaxCommands)).length).toBe(LIMITS.ud3tnConfigMaxCommands);
    expect(failure('3(x);'.repeat(LIMITS.ud3tnConfigMaxCommands + 1))).toEqual({ code: 'LIMIT_EXCEEDED', offset: 5 * LIMITS.ud3tnConfigMaxCommands });
  });

  it('a payload of maximum size is parsed in linear time', () => {
    // 1024 commands of 100 contacts each: just under 1 MiB.
    const unit = `1(dtn://x/):(m)::[${Array.from({ length: 100 }, () => '{1,2,3}').join(',')}];`;
    const text = unit.repeat(LIMITS.ud3tnConfigMaxCommands);
    expect(text.length).toBeLessThanOrEqual(LIMITS.ud3tnConfigMaxBytes);
    const t0 = performance.now();
    const r = parseConfig(ascii(text));
    expect(r.ok && r.value.length).toBe(LIMITS.ud3tnConfigMaxCommands);
    const eid = `1(${'('.repeat(LIMITS.eidMaxLength + 1)}`;
    expect(failure(eid + ');').code).toBe('LIMIT_EXCEEDED');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
