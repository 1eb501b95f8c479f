/** The BPA configuration: file schema, flags over file, uD3TN's option forms, clear errors with paths. */
import { describe, expect, it } from 'vitest';
import { parseAapListen, parseBpaConfigFile, parseClaListen, resolveBpaConfig } from './config';

const NOW = Date.parse('2026-11-25T18:00:00Z');

function file(json: unknown) {
  const r = parseBpaConfigFile(JSON.stringify(json));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('BPA configuration', () => {
  it('reads a full file: listeners, store, options and the contact plan (relative times from load time)', () => {
    const f = file({
      nodeId: 'dtn://earth.dtn/',
      aap: ['tcp:127.0.0.1:4242', 'unix:/tmp/earth.socket'],
      aap2: ['unix:/tmp/earth.aap2.socket'],
      cla: ['mtcp:127.0.0.1:4224', 'tcpclv3:*:4556'],
      store: { dir: '/var/lib/farside', maxBytes: 1000, maxBundles: 10, durability: 'power' },
      lifetimeSeconds: 3600,
      maxBundleSize: 1024,
      statusReports: true,
      allowRemoteConfig: true,
      nodes: [{ nodeId: 'dtn://mars.dtn/', claAddress: 'mtcp:127.0.0.1:4225', contacts: [{ start: '+0s', end: '+1h', rateBytesPerSec: 125000, owltMs: 720000 }] }],
    });
    const r = resolveBpaConfig(f, {}, NOW);
    expect(r).toEqual({
      ok: true,
      value: {
        nodeId: 'dtn://earth.dtn/',
        aap: [{ kind: 'tcp', host: '127.0.0.1', port: 4242 }, { kind: 'unix', path: '/tmp/earth.socket' }],
        aap2: [{ kind: 'unix', path: '/tmp/earth.aap2.socket' }],
        cla: [{ cla: 'mtcp', host: '127.0.0.1', port: 4224 }, { cla: 'tcpclv3', host: '0.0.0.0', port: 4556 }],
        store: { dir: '/var/lib/farside', maxBytes: 1000, maxBundles: 10, durability: 'power' },
        lifetimeMs: 3_600_000,
        maxBundleSize: 1024,
        statusReports: true,
        allowRemoteConfig: true,
        plan: [
          {
            command: 'add',
            nodeId: 'dtn://mars.dtn/',
            claAddress: 'mtcp:127.0.0.1:4225',
            reachableEids: [],
            contacts: [{ start: NOW, end: NOW + 3_600_000, rateBytesPerSec: 125000, owltMs: 720000, reachableEids: [] }],
          },
        ],
      },
    });
  });

  it('flags override the file; defaults follow uD3TN (lifetime 86400 s, no maximum bundle size, reports and remote config off)', () => {
    const r = resolveBpaConfig(file({ nodeId: 'dtn://earth.dtn/', cla: ['mtcp:127.0.0.1:1'] }), { nodeId: 'ipn:1.0', cla: ['smtcp:[::1]:0'], store: { dir: 'x' } }, NOW);
    expect(r.ok && r.value).toMatchObject({
      nodeId: 'ipn:1.0',
      cla: [{ cla: 'smtcp', host: '::1', port: 0 }],
      store: { dir: 'x', durability: 'process' },
      lifetimeMs: 86_400_000,
      statusReports: false,
      allowRemoteConfig: false,
      plan: [],
    });
    expect(r.ok && 'maxBundleSize' in r.value).toBe(false);
  });

  it('adds the missing slash of a dtn node ID (uD3TN -e) and refuses an endpoint that is not a node ID', () => {
    expect(resolveBpaConfig({ nodeId: 'dtn://earth.dtn' }, {}, NOW)).toMatchObject({ ok: true, value: { nodeId: 'dtn://earth.dtn/' } });
    for (const nodeId of ['ipn:1.25', 'dtn://earth.dtn/smtp', 'earth']) {
      const r = resolveBpaConfig({ nodeId }, {}, NOW);
      expect(r.ok || r.error.message).toMatch(/^nodeId: /);
    }
    const missing = resolveBpaConfig({}, {}, NOW);
    expect(missing.ok || missing.error.message).toMatch(/nodeId: required/);
  });

  it('names what is wrong, with its path', () => {
    const unknownKey = parseBpaConfigFile('{"nodeId":"dtn://a/","colour":"red"}');
    expect(unknownKey.ok || unknownKey.error.message).toMatch(/colour|Unrecognized/);
    const badStore = parseBpaConfigFile('{"store":{"maxBytes":-1}}');
    expect(badStore.ok || badStore.error.message).toMatch(/^config: store\.maxBytes: /);
    expect(parseBpaConfigFile('{nodeId').ok).toBe(false);
    const badPlan = resolveBpaConfig(
      { nodeId: 'dtn://a/', nodes: [{ nodeId: 'dtn://b/', claAddress: 'mtcp:h:1', contacts: [{ start: 10, end: 5, rateBytesPerSec: 1 }] }] },
      {},
      NOW,
    );
    expect(badPlan.ok || badPlan.error.message).toMatch(/nodes\[0\]\.contacts\[0\]\.end: must be after start/);
  });

  it('listener forms: tcp:HOST:PORT / unix:PATH for AAP, <cla>:HOST:PORT for CLAs (port 0 = any)', () => {
    expect(parseAapListen('tcp:127.0.0.1:0')).toEqual({ ok: true, value: { kind: 'tcp', host: '127.0.0.1', port: 0 } });
    expect(parseAapListen('tcp:[::1]:4242')).toEqual({ ok: true, value: { kind: 'tcp', host: '::1', port: 4242 } });
    for (const bad of ['tcp:host', 'tcp:h:65536', 'unix:', 'ftp:h:1', 'tcp:::1:2']) expect(parseAapListen(bad).ok).toBe(false);
    expect(parseClaListen('tcpclv3:*:4556')).toEqual({ ok: true, value: { cla: 'tcpclv3', host: '0.0.0.0', port: 4556 } });
    for (const bad of ['tcpspp:h:1', 'mtcp:h', 'mtcp:h:x', 'bibe:h:1']) expect(parseClaListen(bad).ok).toBe(false);
  });
});
