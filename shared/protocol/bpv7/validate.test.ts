import { describe, expect, it } from 'vitest';
import { fromHex, ud3tnVector } from '../../test-support/vectors';
import { decodeBundle } from './bundle';
import { DTN_NONE, parseEid } from './eid';
import { BundleFlag } from './flags';
import type { Bundle, CanonicalBlock, Eid, PrimaryBlock } from './types';
import { hasErrors, validateBundle } from './validate';
import type { IssueRule } from './validate';

const eid = (text: string): Eid => {
  const r = parseEid(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const PRIMARY: PrimaryBlock = {
  version: 7,
  flags: 0,
  crcType: 1,
  destination: eid('dtn://mars.dtn/smtp'),
  source: eid('dtn://earth.dtn/'),
  reportTo: eid('dtn://earth.dtn/'),
  creation: { time: 848946032538, sequence: 1 },
  lifetime: 86400000,
};
const PAYLOAD: CanonicalBlock = { type: 1, number: 1, flags: 0, crcType: 0, data: fromHex('48454c4f') };
const block = (type: number, number: number, data: string, flags = 0): CanonicalBlock => ({ type, number, flags, crcType: 0, data: fromHex(data) });

const bundle = (primary: Partial<PrimaryBlock>, blocks: readonly CanonicalBlock[] = [PAYLOAD]): Bundle => ({
  primary: { ...PRIMARY, ...primary },
  blocks,
});

const rules = (b: Bundle): IssueRule[] => validateBundle(b).map((i) => i.rule);

describe('validateBundle', () => {
  it('finds nothing wrong with a well-formed bundle', () => {
    expect(validateBundle(bundle({}))).toEqual([]);
  });

  it('accepts every uD3TN vector, warning only where uD3TN puts an endpoint in the source field', () => {
    const files = [
      'cla-mtcp/bsmtp-dtn.bundle.bin',
      'cla-mtcp/bsmtp-ipn.bundle.bin',
      'cla-mtcp/bibe-encapsulating.bundle.bin',
      'fragments/fragment_02.bundle.bin',
      'status-reports/mars-to-earth_09.bundle.bin',
      'status-reports/crafted-01_delivered.bundle.bin',
      'aap1-bibe/crafted-inner-bundle.bin',
    ];
    for (const f of files) {
      const r = decodeBundle(ud3tnVector(f));
      if (!r.ok) throw new Error(f);
      const issues = validateBundle(r.value.bundle);
      expect(hasErrors(issues)).toBe(false);
      const endpointSource = f !== 'status-reports/mars-to-earth_09.bundle.bin';
      expect(issues.map((i) => i.rule)).toEqual(endpointSource ? ['source-not-node-id'] : []);
    }
  });

  it.each<[string, Bundle, IssueRule, string]>([
    ['no payload block', bundle({}, [block(7, 2, '00')]), 'no-payload-block', 'RFC 9171 §4.1'],
    ['payload not last', bundle({}, [PAYLOAD, block(7, 2, '00')]), 'payload-not-last', 'RFC 9171 §4.1'],
    ['two payload blocks', bundle({}, [{ ...PAYLOAD, number: 3 }, PAYLOAD]), 'multiple-payload-blocks', 'RFC 9171 §4.3.3'],
    ['payload numbered 2', bundle({}, [{ ...PAYLOAD, number: 2 }]), 'payload-block-number', 'RFC 9171 §4.3.3'],
    ['block number 0', bundle({}, [block(7, 0, '00'), PAYLOAD]), 'block-number-zero', 'RFC 9171 §4.3.2'],
    ['duplicate block number', bundle({}, [block(7, 1, '00'), PAYLOAD]), 'duplicate-block-number', 'RFC 9171 §4.3.2'],
    ['primary without CRC', bundle({ crcType: 0 }), 'primary-crc-missing', 'RFC 9171 §4.3.1'],
    ['invalid EID', bundle({ destination: { scheme: 'dtn', ssp: '//bad' } }), 'invalid-eid', 'RFC 9171 §4.2.5'],
    ['admin record requesting reports', bundle({ flags: BundleFlag.ADMIN_RECORD | BundleFlag.REPORT_DELIVERY }), 'admin-record-requests-reports', 'RFC 9171 §4.2.3'],
    ['null source requesting reports', bundle({ source: DTN_NONE, flags: BundleFlag.MUST_NOT_FRAGMENT | BundleFlag.REPORT_RECEPTION }), 'null-source-requests-reports', 'RFC 9171 §4.2.3'],
    ['fragmentable null-source bundle', bundle({ source: DTN_NONE }), 'null-source-fragmentable', 'RFC 9171 §4.2.3'],
    ['fragment flag without fields', bundle({ flags: BundleFlag.IS_FRAGMENT }), 'fragment-fields-mismatch', 'RFC 9171 §4.3.1'],
    ['fragment fields without flag', bundle({ fragment: { offset: 0, totalAduLength: 10 } }), 'fragment-fields-mismatch', 'RFC 9171 §4.3.1'],
    [
      'fragment marked must-not-fragment',
      bundle({ flags: BundleFlag.IS_FRAGMENT | BundleFlag.MUST_NOT_FRAGMENT, fragment: { offset: 0, totalAduLength: 10 } }),
      'fragment-not-fragmentable',
      'RFC 9171 §5.8',
    ],
    ['fragment past the ADU', bundle({ flags: BundleFlag.IS_FRAGMENT, fragment: { offset: 8, totalAduLength: 10 } }), 'fragment-beyond-adu', 'RFC 9171 §5.8'],
    ['reserved bundle flag (BPv6 custody, bit 3)', bundle({ flags: 0x08 }), 'reserved-bundle-flags', 'RFC 9171 §4.2.3'],
    ['reserved block flag (bit 3)', bundle({}, [block(192, 2, '', 0x08), PAYLOAD]), 'reserved-block-flags', 'RFC 9171 §4.2.4'],
    ['two hop count blocks', bundle({}, [block(10, 2, '82181e00'), block(10, 3, '82181e00'), PAYLOAD]), 'duplicate-extension-block', 'RFC 9171 §4.4'],
    ['malformed hop count', bundle({}, [block(10, 2, '181e'), PAYLOAD]), 'extension-data-malformed', 'RFC 9171 §4.4.3'],
    ['hop limit 0', bundle({}, [block(10, 2, '820000'), PAYLOAD]), 'hop-limit-range', 'RFC 9171 §4.4.3'],
    ['hop limit 256', bundle({}, [block(10, 2, '8219010000'), PAYLOAD]), 'hop-limit-range', 'RFC 9171 §4.4.3'],
    ['malformed bundle age', bundle({}, [block(7, 2, '20'), PAYLOAD]), 'extension-data-malformed', 'RFC 9171 §4.4.2'],
    ['malformed previous node', bundle({}, [block(6, 2, '8201'), PAYLOAD]), 'extension-data-malformed', 'RFC 9171 §4.4.1'],
    ['creation time 0 without bundle age', bundle({ creation: { time: 0, sequence: 7 } }), 'bundle-age-missing', 'RFC 9171 §4.2.7, §4.4.2'],
  ])('%s → %s (%s)', (_name, b, rule, section) => {
    const issues = validateBundle(b);
    const issue = issues.find((i) => i.rule === rule);
    expect(issue).toBeDefined();
    expect(issue?.section).toBe(section);
    expect(issue?.severity).toBe(rule.startsWith('reserved') ? 'warning' : 'error');
    expect(hasErrors(issues)).toBe(issue?.severity === 'error');
  });

  it('lets a BIB that targets block 0 stand in for the primary CRC (RFC 9171 §4.3.1)', () => {
    // ASB (RFC 9172 §3.6): targets [0], context 1, flags 0, source dtn://earth.dtn/, results [[[1, h'00']]]
    const bib = block(11, 3, '8100' + '01' + '00' + '82016c2f2f65617274682e64746e2f' + '818182014100');
    expect(rules(bundle({ crcType: 0 }, [bib, PAYLOAD]))).toEqual([]);
    const otherTarget = block(11, 3, '8101' + '01' + '00' + '820100' + '80');
    expect(rules(bundle({ crcType: 0 }, [otherTarget, PAYLOAD]))).toEqual(['primary-crc-missing']);
  });

  it('accepts creation time 0 with a bundle age block, and warns about an endpoint as previous node', () => {
    expect(rules(bundle({ creation: { time: 0, sequence: 1 } }, [block(7, 2, '1903e8'), PAYLOAD]))).toEqual([]);
    expect(rules(bundle({}, [block(6, 2, '82016d2f2f65617274682e64746e2f78'), PAYLOAD]))).toEqual(['previous-node-not-node-id']);
  });

  it('returns every problem at once, in order', () => {
    const b = bundle(
      { crcType: 0, flags: BundleFlag.ADMIN_RECORD | BundleFlag.REPORT_RECEPTION | 0x08, source: DTN_NONE, creation: { time: 0, sequence: 0 } },
      [PAYLOAD, block(10, 1, '820000'), block(10, 0, '00')],
    );
    expect(rules(b)).toEqual([
      'primary-crc-missing',
      'reserved-bundle-flags',
      'admin-record-requests-reports',
      'null-source-requests-reports',
      'null-source-fragmentable',
      'payload-not-last',
      'duplicate-block-number',
      'hop-limit-range',
      'block-number-zero',
      'duplicate-extension-block',
      'extension-data-malformed',
      'bundle-age-missing',
    ]);
    for (const issue of validateBundle(b)) expect(issue.section).toMatch(/^RFC 9171 §\d/);
  });
});
