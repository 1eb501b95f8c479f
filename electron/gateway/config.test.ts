import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/protocol/limits';
import { isLoopbackHost, parseGatewayConfig } from './config';

const minimal = {
  node: { aap: 'tcp:127.0.0.1:4242', protocol: 'aap1' },
  mta: { host: '127.0.0.1', port: 25 },
  listen: { host: '127.0.0.1', port: 0 },
  routes: [{ domain: 'mars.example', eid: 'dtn://mars.dtn/email' }],
  localDomains: ['earth.example'],
  authorisedSources: ['dtn://mars.dtn/'],
  store: { dir: 'state' },
};

function parse(value: unknown, baseDir = '/etc/farside') {
  return parseGatewayConfig(JSON.stringify(value), baseDir);
}

function problem(value: unknown): string {
  const r = parse(value);
  if (r.ok) throw new Error('expected the config to be refused');
  expect(r.error.code).toBe('CONFIG_INVALID');
  return r.error.message;
}

describe('parseGatewayConfig', () => {
  it('fills the defaults of a minimal file', () => {
    const r = parse(minimal);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toEqual({
      hostname: 'gw.earth.example',
      node: {
        transport: { kind: 'tcp', host: '127.0.0.1', port: 4242 },
        protocol: 'aap1',
        agent: null,
        keepaliveSeconds: 0,
        requestTimeoutMs: 30_000,
        reconnect: { initialMs: 200, maxMs: 10_000 },
        subscriberConfirmDeadlineMs: 800,
        statusReports: false,
      },
      mta: { host: '127.0.0.1', port: 25 },
      listen: { host: '127.0.0.1', port: 0, allowedPeers: ['127.0.0.1', '::1'] },
      routes: [{ domain: 'mars.example', eid: 'dtn://mars.dtn/email' }],
      localDomains: ['earth.example'],
      authorisedSources: ['dtn://mars.dtn/'],
      acceptPlainRfc5322: false,
      // relative to the config file's directory
      store: { dir: '/etc/farside/state' },
      metrics: null,
      limits: { replyTimeoutMs: 60_000 },
      retry: { bp: { initialMs: 500, maxMs: 30_000 }, mta: {} },
    });
  });

  it('takes every setting of a full file', () => {
    const r = parse({
      ...minimal,
      hostname: 'relay.earth.example',
      node: { aap: 'unix:/run/earth.aap2.socket', protocol: 'aap2', agent: '25', secret: 's3', keepaliveSeconds: 30, requestTimeoutMs: 5000, reconnect: { initialMs: 10, maxMs: 100 }, subscriberConfirmDeadlineMs: null, statusReports: false },
      listen: { host: '127.0.0.1', port: 2525, allowedPeers: ['127.0.0.1'] },
      routes: [{ domain: 'Mars.Example', eid: 'ipn:2.25', maxMessageBytes: 1000 }],
      localDomains: ['Earth.Example', 'moon.example'],
      acceptPlainRfc5322: true,
      store: { dir: '/var/lib/gw' },
      metrics: { host: 'localhost', port: 9464 },
      limits: { maxMessageBytes: 500, maxRecipients: 10, maxConnections: 2, socketTimeoutMs: 1000, replyTimeoutMs: 2000 },
      retry: { bp: { initialMs: 1, maxMs: 2 }, mta: { initialMs: 3, giveUpAfterMs: 4 } },
    });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.node).toEqual({
      transport: { kind: 'unix', path: '/run/earth.aap2.socket' },
      protocol: 'aap2',
      agent: '25',
      secret: 's3',
      keepaliveSeconds: 30,
      requestTimeoutMs: 5000,
      reconnect: { initialMs: 10, maxMs: 100 },
      subscriberConfirmDeadlineMs: null,
      statusReports: false,
    });
    expect(r.value.routes).toEqual([{ domain: 'mars.example', eid: 'ipn:2.25', maxMessageBytes: 1000 }]);
    expect(r.value.localDomains).toEqual(['earth.example', 'moon.example']);
    expect(r.value.store.dir).toBe('/var/lib/gw');
    expect(r.value.metrics).toEqual({ host: 'localhost', port: 9464 });
    expect(r.value.limits).toEqual({ maxMessageBytes: 500, maxRecipients: 10, maxConnections: 2, socketTimeoutMs: 1000, replyTimeoutMs: 2000 });
    expect(r.value.retry).toEqual({ bp: { initialMs: 1, maxMs: 2 }, mta: { initialMs: 3, giveUpAfterMs: 4 } });
  });

  it('names the JSON path of each shape problem', () => {
    expect(problem({ ...minimal, node: { aap: 'tcp:127.0.0.1:4242', protocol: 'aap3' } })).toMatch(/node\.protocol: /);
    expect(problem({ ...minimal, mta: { host: '127.0.0.1', port: 70000 } })).toMatch(/mta\.port: /);
    expect(problem({ ...minimal, routes: [{ domain: 'mars.example' }] })).toMatch(/routes\[0\]\.eid: /);
    expect(problem({ ...minimal, localDomains: [] })).toMatch(/localDomains: /);
    expect(problem({ ...minimal, store: {} })).toMatch(/store\.dir: /);
    expect(problem({ ...minimal, listen: { host: '127.0.0.1', port: 0, extra: 1 } })).toMatch(/listen: .*extra/);
    expect(problem({ ...minimal, limits: { maxRecipients: LIMITS.smtpMaxRecipients + 1 } })).toMatch(/limits\.maxRecipients: /);
    const { node: _node, ...withoutNode } = minimal;
    expect(problem(withoutNode)).toMatch(/node: /);
  });

  it('names the JSON path of each meaning problem', () => {
    expect(problem({ ...minimal, node: { aap: 'udp:1.2.3.4:5', protocol: 'aap1' } })).toMatch(/^gateway config: node\.aap: /);
    expect(problem({ ...minimal, routes: [minimal.routes[0], { domain: 'x', eid: 'dtn://x.dtn/email' }] })).toMatch(/routes\[1\]\.domain: "x" is not a domain name/);
    expect(problem({ ...minimal, routes: [minimal.routes[0], { domain: 'MARS.example', eid: 'ipn:2.25' }] })).toMatch(/routes\[1\]\.domain: mars\.example is listed twice/);
    expect(problem({ ...minimal, routes: [{ domain: 'mars.example', eid: 'dtn:mars' }] })).toMatch(/routes\[0\]\.eid: /);
    expect(problem({ ...minimal, routes: [{ domain: 'mars.example', eid: 'dtn:none' }] })).toMatch(/routes\[0\]\.eid: dtn:none cannot receive mail/);
    expect(problem({ ...minimal, localDomains: ['earth.example', 'mars.example'] })).toMatch(/localDomains\[1\]: mars\.example is also a route/);
    expect(problem({ ...minimal, authorisedSources: ['dtn://mars.dtn/', 'mars'] })).toMatch(/authorisedSources\[1\]: /);
    expect(problem({ ...minimal, listen: { host: '127.0.0.1', port: 0, allowedPeers: ['mta.example'] } })).toMatch(/listen\.allowedPeers\[0\]: /);
    expect(problem({ ...minimal, metrics: { host: '0.0.0.0', port: 9464 } })).toMatch(/metrics\.host: 0\.0\.0\.0 is not a loopback address/);
    expect(problem({ ...minimal, hostname: 'gw earth' })).toMatch(/hostname: /);
  });

  it('asks for status reports by default over AAP 2.0 only, and refuses them with AAP v1 (docs/status-reports.md)', () => {
    const aap2 = parse({ ...minimal, node: { aap: 'tcp:127.0.0.1:4243', protocol: 'aap2' } });
    expect(aap2.ok && aap2.value.node.statusReports).toBe(true);
    const aap1 = parse(minimal);
    expect(aap1.ok && aap1.value.node.statusReports).toBe(false);
    const off = parse({ ...minimal, node: { aap: 'tcp:127.0.0.1:4243', protocol: 'aap1', statusReports: false } });
    expect(off.ok && off.value.node.statusReports).toBe(false);
    expect(problem({ ...minimal, node: { aap: 'tcp:127.0.0.1:4242', protocol: 'aap1', statusReports: true } })).toBe(
      'gateway config: node.statusReports: AAP v1 cannot request status reports (docs/status-reports.md): use "protocol": "aap2", or leave statusReports out',
    );
    expect(problem({ ...minimal, node: { aap: 'tcp:127.0.0.1:4242', protocol: 'aap2', statusReports: 'yes' } })).toMatch(/^gateway config: node\.statusReports: /);
  });

  it('refuses text that is not JSON', () => {
    const r = parseGatewayConfig('{ "node": ', '/');
    expect(r.ok ? null : r.error.message).toMatch(/^the gateway config is not JSON/);
  });
});

describe('isLoopbackHost', () => {
  it('accepts 127.0.0.0/8, ::1 and localhost only', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', '127.example', 'example.com'].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
  });
});
