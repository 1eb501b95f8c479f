import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunks, ud3tnVector } from '../../../shared/test-support/vectors';
import { memoryIo } from '../io';
import { runCli } from '../main';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function cli(argv: string[], input: Uint8Array | string = ''): Promise<{ code: number; out: string; bytes: Uint8Array; err: string }> {
  const m = memoryIo(input);
  const code = await runCli(argv, m.io);
  return { code, out: m.outText(), bytes: m.out(), err: m.errText() };
}

const lines = (text: string): Record<string, unknown>[] =>
  text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('farside bundle decode', () => {
  it('prints the fields of the uD3TN BSMTP bundle as its README describes them', async () => {
    const r = await cli(['bundle', 'decode'], ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin'));
    expect(r.code).toBe(0);
    const [j] = lines(r.out);
    expect(j).toEqual({
      version: 7,
      flags: 0,
      crcType: 1,
      destination: 'dtn://mars.dtn/smtp',
      source: 'dtn://earth.dtn/smtp',
      reportTo: 'dtn:none',
      creationTime: 848946032538,
      sequence: 1,
      lifetime: 86400000,
      blocks: [{ type: 1, number: 1, flags: 0, crcType: 0, dataLength: 369 }],
      payloadLength: 369,
      // The README: this bundle carries aap1/bsmtp_payload.bin unchanged.
      payloadSha256: sha256(ud3tnVector('aap1/bsmtp_payload.bin')),
      crcOk: true,
    });
  });

  it('prints a status report with every assertion as issue 2 defines it (uD3TN report 09: deleted at 0, reason 6)', async () => {
    const r = await cli(['bundle', 'decode'], ud3tnVector('status-reports/mars-to-earth_09.bundle.bin'));
    expect(r.code).toBe(0);
    const [j] = lines(r.out);
    expect(j?.['flags']).toBe(2);
    expect(j?.['statusReport']).toEqual({
      received: null,
      forwarded: null,
      delivered: null,
      deleted: 0,
      reason: 6,
      subjectSource: 'dtn://sender.dtn/smtp',
      subjectCreationTime: 848946042000,
      subjectSequence: 5,
      fragmentOffset: null,
      fragmentLength: null,
    });
  });

  it('reads MTCP frames in any chunking and prints one line per fragment, with fragment fields', async () => {
    const names = ['fragment_01', 'fragment_02', 'fragment_03', 'fragment_04'];
    const stream = new Uint8Array(Buffer.concat(names.map((n) => ud3tnVector(`fragments/${n}.mtcp.bin`))));
    for (const size of [1, 7, 512, stream.length]) {
      const m = memoryIo();
      const io = { ...m.io, stdin: (async function* () { yield* chunks(stream, size); })() };
      expect(await runCli(['bundle', 'decode', '--mtcp'], io)).toBe(0);
      const js = lines(m.outText());
      // README: payload slices at offsets 0/945/1890/2835 of a 3113-byte ADU.
      expect(js.map((j) => [j['fragmentOffset'], j['totalAduLength'], j['payloadLength'], j['flags']])).toEqual([
        [0, 3113, 945, 1],
        [945, 3113, 945, 1],
        [1890, 3113, 945, 1],
        [2835, 3113, 278, 1],
      ]);
    }
  });

  it('reports a damaged CRC as crcOk false instead of refusing the bundle', async () => {
    const bytes = ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin').slice();
    bytes[20] = (bytes[20] as number) ^ 0x01; // inside the destination EID text of the primary block
    const r = await cli(['bundle', 'decode'], bytes);
    expect(r.code).toBe(0);
    expect(lines(r.out)[0]?.['crcOk']).toBe(false);
  });

  it('refuses a BPv6 bundle and garbage with exit 1 and one line on stderr', async () => {
    for (const input of [ud3tnVector('cla-mtcp/bpv6-bsmtp.bundle.bin'), new Uint8Array([0x9f, 0x89, 0x07])]) {
      const r = await cli(['bundle', 'decode'], input);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses an MTCP stream that ends inside a frame', async () => {
    const frame = ud3tnVector('cla-mtcp/bsmtp-dtn.mtcp.bin');
    const r = await cli(['bundle', 'decode', '--mtcp'], frame.subarray(0, frame.length - 1));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/TRUNCATED/);
  });
});

describe('farside bundle encode', () => {
  it('rebuilds the uD3TN BSMTP bundle byte for byte from its fields (MTCP frame included)', async () => {
    const r = await cli(
      ['bundle', 'encode', '--source', 'dtn://earth.dtn/smtp', '--destination', 'dtn://mars.dtn/smtp',
        '--creation-time', '848946032538', '--sequence', '1', '--crc', '16', '--payload-crc', 'none', '--mtcp'],
      ud3tnVector('aap1/bsmtp_payload.bin'),
    );
    expect(r.code).toBe(0);
    expect(Buffer.from(r.bytes).equals(Buffer.from(ud3tnVector('cla-mtcp/bsmtp-dtn.mtcp.bin')))).toBe(true);
  });

  it('fragments with --max-size like uD3TN -m 1024: the four real fragments, byte for byte', async () => {
    const r = await cli(
      ['bundle', 'encode', '--source', 'dtn://earth.dtn/smtp', '--destination', 'dtn://mars.dtn/smtp',
        '--creation-time', '848946038379', '--sequence', '1', '--max-size', '1024', '--mtcp', '--payload-crc', 'none'],
      ud3tnVector('fragments/bsmtp_long_payload.bin'),
    );
    expect(r.code).toBe(0);
    const expected = Buffer.concat([1, 2, 3, 4].map((n) => ud3tnVector(`fragments/fragment_0${n}.mtcp.bin`)));
    expect(Buffer.from(r.bytes).equals(expected)).toBe(true);
  });

  it('protects the payload block too with --crc 16 (decodes with crcOk)', async () => {
    const r = await cli(['bundle', 'encode', '--source', 'dtn://earth.dtn/smtp', '--destination', 'dtn://mars.dtn/smtp', '--crc', '16'], 'hi');
    const [j] = lines((await cli(['bundle', 'decode'], r.bytes)).out);
    expect(j?.['blocks']).toEqual([{ type: 1, number: 1, flags: 0, crcType: 1, dataLength: 2 }]);
    expect(j?.['crcOk']).toBe(true);
  });

  it('--crc none reproduces an unprotected bundle and --crc 32c a CRC-32C one', async () => {
    for (const [crc, type] of [['none', 0], ['32c', 2]] as const) {
      const r = await cli(['bundle', 'encode', '--source', 'ipn:1.25', '--destination', 'ipn:2.25', '--crc', crc], 'hello');
      const [j] = lines((await cli(['bundle', 'decode'], r.bytes)).out);
      expect(j?.['crcType']).toBe(type);
      expect(j?.['destination']).toBe('ipn:2.25');
    }
  });

  it('refuses bad EIDs, flags and sizes with a clear message', async () => {
    const base = ['bundle', 'encode', '--source', 'dtn://earth.dtn/a', '--destination'];
    expect((await cli([...base, 'not-an-eid'], 'x')).code).toBe(2);
    expect((await cli([...base, 'dtn://mars.dtn/a', '--flags', '1'], 'x')).err).toMatch(/max-size/);
    const tooSmall = await cli([...base, 'dtn://mars.dtn/a', '--max-size', '20'], 'x'.repeat(100));
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.err.trim().split('\n')).toHaveLength(1);
  });
});
