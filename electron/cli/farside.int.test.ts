import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ud3tnVector } from '../../shared/test-support/vectors';
import { commands } from './commands/index';

const bin = fileURLToPath(new URL('../../bin/farside.js', import.meta.url));

function farside(args: string[], input?: Uint8Array): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the farside executable (bin/farside.js, what `npx farside` runs)', () => {
  it('lists every command', () => {
    const r = farside(['--help']);
    expect(r.status).toBe(0);
    for (const c of commands) expect(r.stdout).toContain(`farside ${c.path.join(' ')}`);
  });

  it('has --help for every command', () => {
    for (const c of commands) {
      const r = farside([...c.path, '--help']);
      expect(r.status, c.path.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: farside /);
    }
  });

  it('decodes a bundle from a pipe and fails with status 1 and one stderr line on bad input', () => {
    const good = farside(['bundle', 'decode', '-'], ud3tnVector('cla-mtcp/bsmtp-ipn.bundle.bin'));
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ destination: 'ipn:2.25', source: 'ipn:1.25', payloadLength: 389 });
    const bad = farside(['bundle', 'decode'], new Uint8Array([1, 2, 3]));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects an unknown command with usage status 2', () => {
    expect(farside(['teleport']).status).toBe(2);
  });
});
