/**
 * The embedded BPA's configuration: a JSON file (`farside bpa --config FILE`), validated with zod, and the
 * command-line flags, which override it. Every problem is reported with its JSON path.
 *
 *   {
 *     "nodeId": "dtn://earth.dtn/",
 *     "aap": ["tcp:127.0.0.1:4242", "unix:/run/farside/earth.aap.socket"],
 *     "aap2": ["unix:/run/farside/earth.aap2.socket"],
 *     "cla": ["mtcp:127.0.0.1:4224", "tcpclv3:127.0.0.1:4556"],
 *     "store": { "dir": "/var/lib/farside/earth", "maxBytes": 4294967296, "maxBundles": 1000000, "durability": "process" },
 *     "lifetimeSeconds": 86400,
 *     "maxBundleSize": 1048576,
 *     "statusReports": true,
 *     "allowRemoteConfig": false,
 *     "nodes": [
 *       { "nodeId": "dtn://mars.dtn/", "claAddress": "mtcp:127.0.0.1:4225",
 *         "contacts": [{ "start": "+0s", "end": "+1d", "rateBytesPerSec": 125000, "owltMs": 720000 }] }
 *     ]
 *   }
 *
 * - nodeId: "dtn://node/" (a missing final slash is added, as uD3TN does) or "ipn:N.0".
 * - aap: AAP v1 listeners, `tcp:HOST:PORT` or `unix:PATH` (uD3TN's -a/-p and -s); aap2: AAP 2.0
 *   listeners, the same forms (uD3TN v0.13 has only the UNIX socket, -S).
 * - cla: CLA listeners `<mtcp|smtcp|tcpclv3>:HOST:PORT`; HOST `*` is every IPv4 interface (uD3TN's `*`),
 *   an IPv6 address is written in brackets. Port 0 picks a free port (the ready line shows it).
 * - store: where bundles and the processor's state live, and the store's bounds.
 * - lifetimeSeconds (uD3TN -l), maxBundleSize (-m), statusReports (-r), allowRemoteConfig (-R).
 * - nodes: the contact plan, in the format of router/plan-file.ts (ms times, OWLT, relative times).
 */
import { z } from 'zod';
import { err, ok, type Result } from '../../shared/errors';
import { isNodeId, parseEid, formatEid } from '../../shared/protocol/bpv7/eid';
import { LIMITS } from '../../shared/protocol/limits';
import { parseContactPlan } from './router/plan-file';
import type { PlanCommand } from './router/types';
import { DEFAULT_LIFETIME_MS } from './submitted-bundle';
import type { ClaName } from './types';

export type AapListen = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

export interface ClaListen {
  readonly cla: ClaName;
  readonly host: string;
  readonly port: number;
}

export interface BpaConfig {
  readonly nodeId: string;
  readonly aap: readonly AapListen[];
  readonly aap2: readonly AapListen[];
  readonly cla: readonly ClaListen[];
  readonly store: {
    readonly dir: string;
    readonly maxBytes: number;
    readonly maxBundles: number;
    readonly durability: 'process' | 'power';
  };
  readonly lifetimeMs: number;
  /** Undefined: no maximum. */
  readonly maxBundleSize?: number;
  readonly statusReports: boolean;
  readonly allowRemoteConfig: boolean;
  /** The static contact plan (the file's `nodes`). */
  readonly plan: readonly PlanCommand[];
}

/** What the file or the flags may set; merged flags-over-file, then checked by resolveBpaConfig. */
export interface BpaConfigInput {
  readonly nodeId?: string;
  readonly aap?: readonly string[];
  readonly aap2?: readonly string[];
  readonly cla?: readonly string[];
  readonly store?: { readonly dir?: string; readonly maxBytes?: number; readonly maxBundles?: number; readonly durability?: 'process' | 'power' };
  readonly lifetimeSeconds?: number;
  readonly maxBundleSize?: number;
  readonly statusReports?: boolean;
  readonly allowRemoteConfig?: boolean;
  /** The contact plan's `nodes`, still unparsed (router/plan-file.ts checks them). */
  readonly nodes?: readonly unknown[];
}

/** Where the store goes when neither the file nor --store says: beside the working directory, per node. */
export const DEFAULT_STORE_DIR = 'farside-bpa';

const CLA_NAMES: readonly ClaName[] = ['mtcp', 'smtcp', 'tcpclv3'];

const fileSchema = z
  .object({
    nodeId: z.string().min(1).optional(),
    aap: z.array(z.string()).max(16).optional(),
    aap2: z.array(z.string()).max(16).optional(),
    cla: z.array(z.string()).max(16).optional(),
    store: z
      .object({
        dir: z.string().min(1).optional(),
        maxBytes: z.number().int().positive().optional(),
        maxBundles: z.number().int().positive().optional(),
        durability: z.enum(['process', 'power']).optional(),
      })
      .strict()
      .optional(),
    lifetimeSeconds: z.number().int().positive().optional(),
    maxBundleSize: z.number().int().positive().optional(),
    statusReports: z.boolean().optional(),
    allowRemoteConfig: z.boolean().optional(),
    nodes: z.array(z.unknown()).optional(),
  })
  .strict();

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/** Parse the JSON config file; each problem is named by its path. */
export function parseBpaConfigFile(text: string): Result<BpaConfigInput> {
  if (text.length > LIMITS.contactPlanMaxBytes) return err('LIMIT_EXCEEDED', `the config file is larger than ${LIMITS.contactPlanMaxBytes} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err('CONFIG_INVALID', `the config file is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    return err('CONFIG_INVALID', `config: ${parsed.error.issues.slice(0, 10).map((i) => `${pathText(i.path)}: ${i.message}`).join('; ')}`);
  }
  return ok(parsed.data);
}

/** "dtn://node" → "dtn://node/" (uD3TN preprocess_local_eid); must then be a node ID. */
export function normaliseNodeId(text: string): Result<string> {
  const withSlash = text.startsWith('dtn://') && text.indexOf('/', 6) === -1 ? `${text}/` : text;
  const eid = parseEid(withSlash);
  if (!eid.ok) return err('CONFIG_INVALID', `nodeId: ${eid.error.message}`);
  if (!isNodeId(eid.value)) return err('CONFIG_INVALID', `nodeId: ${text} is not a node ID (dtn://node/ or ipn:N.0)`);
  return ok(formatEid(eid.value));
}

const PORT = /^[0-9]{1,5}$/;

/** "HOST:PORT" for listening: port 0 allowed, `*` = 0.0.0.0, IPv6 in brackets. */
function parseListenHostPort(text: string, what: string): Result<{ host: string; port: number }> {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return err('CONFIG_INVALID', `${what}: expected [address]:port`);
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return err('CONFIG_INVALID', `${what}: expected HOST:PORT`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return err('CONFIG_INVALID', `${what}: an IPv6 address is written [address]:port`);
  }
  const port = Number(portText);
  if (!PORT.test(portText) || port > 65535) return err('CONFIG_INVALID', `${what}: port must be 0..65535`);
  return ok({ host: host === '*' ? '0.0.0.0' : host, port });
}

export function parseAapListen(text: string): Result<AapListen> {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    return path.length === 0 ? err('CONFIG_INVALID', `aap ${text}: unix: needs a socket path`) : ok({ kind: 'unix', path });
  }
  if (!text.startsWith('tcp:')) return err('CONFIG_INVALID', `aap ${text}: expected tcp:HOST:PORT or unix:PATH`);
  const hp = parseListenHostPort(text.slice(4), `aap ${text}`);
  return hp.ok ? ok({ kind: 'tcp', ...hp.value }) : hp;
}

export function parseClaListen(text: string): Result<ClaListen> {
  const colon = text.indexOf(':');
  const name = text.slice(0, colon) as ClaName;
  if (colon < 0 || !CLA_NAMES.includes(name)) return err('CONFIG_INVALID', `cla ${text}: expected <${CLA_NAMES.join('|')}>:HOST:PORT`);
  const hp = parseListenHostPort(text.slice(colon + 1), `cla ${text}`);
  return hp.ok ? ok({ cla: name, ...hp.value }) : hp;
}

function all<T>(items: readonly string[], parse: (s: string) => Result<T>): Result<T[]> {
  const out: T[] = [];
  for (const s of items) {
    const r = parse(s);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return ok(out);
}

/** Merge the flags over the file and check the result; `loadedAt` anchors relative contact times. */
export function resolveBpaConfig(file: BpaConfigInput, flags: BpaConfigInput, loadedAt: number): Result<BpaConfig> {
  const nodeIdText = flags.nodeId ?? file.nodeId;
  if (nodeIdText === undefined) return err('CONFIG_INVALID', 'nodeId: required (--node-id or "nodeId" in the config file)');
  const nodeId = normaliseNodeId(nodeIdText);
  if (!nodeId.ok) return nodeId;
  const aap = all(flags.aap ?? file.aap ?? [], parseAapListen);
  if (!aap.ok) return aap;
  const aap2 = all(flags.aap2 ?? file.aap2 ?? [], parseAapListen);
  if (!aap2.ok) return aap2;
  const cla = all(flags.cla ?? file.cla ?? [], parseClaListen);
  if (!cla.ok) return cla;
  const nodes = flags.nodes ?? file.nodes ?? [];
  let plan: PlanCommand[] = [];
  if (nodes.length > 0) {
    const p = parseContactPlan(JSON.stringify({ nodes }), loadedAt);
    if (!p.ok) return err('CONFIG_INVALID', `config ${p.error.message}`);
    plan = p.value;
  }
  const lifetimeSeconds = flags.lifetimeSeconds ?? file.lifetimeSeconds;
  const maxBundleSize = flags.maxBundleSize ?? file.maxBundleSize;
  for (const [name, v] of [['lifetimeSeconds', lifetimeSeconds], ['maxBundleSize', maxBundleSize]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v <= 0)) return err('CONFIG_INVALID', `${name}: must be a positive integer, got ${v}`);
  }
  return ok({
    nodeId: nodeId.value,
    aap: aap.value,
    aap2: aap2.value,
    cla: cla.value,
    store: {
      dir: flags.store?.dir ?? file.store?.dir ?? DEFAULT_STORE_DIR,
      maxBytes: flags.store?.maxBytes ?? file.store?.maxBytes ?? LIMITS.bpaStoreDefaultMaxBytes,
      maxBundles: flags.store?.maxBundles ?? file.store?.maxBundles ?? LIMITS.bpaStoreDefaultMaxBundles,
      durability: flags.store?.durability ?? file.store?.durability ?? 'process',
    },
    lifetimeMs: lifetimeSeconds === undefined ? DEFAULT_LIFETIME_MS : lifetimeSeconds * 1000,
    ...(maxBundleSize === undefined ? {} : { maxBundleSize }),
    statusReports: flags.statusReports ?? file.statusReports ?? false,
    allowRemoteConfig: flags.allowRemoteConfig ?? file.allowRemoteConfig ?? false,
    plan,
  });
}
