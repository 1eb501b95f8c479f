/**
 * The BPA's contact-plan file (`farside bpa --config FILE`): JSON, validated with zod, turned into ADD
 * commands (commands.ts). Unlike uD3TN's text format it carries one-way light times and millisecond
 * times, and times may be relative to when the file is loaded:
 *
 *   {
 *     "nodes": [
 *       {
 *         "nodeId": "dtn://mars.dtn/",
 *         "claAddress": "mtcp:127.0.0.1:4224",
 *         "reachableEids": ["dtn://phobos.dtn/"],
 *         "contacts": [
 *           { "start": "+0s", "end": "+1h", "rateBytesPerSec": 125000, "owltMs": 720000 },
 *           { "id": "pass-2", "start": "2026-11-26T08:00:00Z", "end": 1795680000000, "rateBytesPerSec": 1000000 }
 *         ]
 *       }
 *     ]
 *   }
 *
 * A time is Unix milliseconds, an ISO 8601 date-time with a zone ("Z" or "+01:00"), or "+<n><unit>"
 * (ms, s, m, h, d) after load time. Contacts that already ended are skipped; everything else that is
 * wrong is reported with its JSON path, e.g. `nodes[0].contacts[1].end: must be after start`.
 */
import { z } from 'zod';
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';
import { nodeIdOf } from './routing-key';
import type { PlanCommand } from './types';

const RELATIVE = /^\+(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
// RFC 3339 date-time: a zone is required so a plan means the same on every machine.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** The CLAs the embedded BPA speaks (protocols.md §6). */
const CLA_ADDRESS = /^(mtcp|smtcp|tcpclv3):\S+:\d{1,5}$/;

const time = z.union([
  z.number().int().nonnegative(),
  z.string().refine((s) => RELATIVE.test(s) || (ISO.test(s) && !Number.isNaN(Date.parse(s))), {
    message: 'expected Unix ms, an ISO 8601 date-time with zone, or "+<n>ms|s|m|h|d"',
  }),
]);

const eid = z
  .string()
  .min(1)
  .max(LIMITS.eidMaxLength)
  .refine((s) => /^[\x21-\x7e]+$/.test(s), { message: 'an EID is printable ASCII without spaces' });

const contactSchema = z
  .object({
    id: z.string().min(1).max(128).optional(),
    start: time,
    end: time,
    rateBytesPerSec: z.number().int().positive(),
    owltMs: z.number().int().nonnegative().default(0),
    reachableEids: z.array(eid).max(LIMITS.ud3tnConfigMaxEids).default([]),
  })
  .strict();

const nodeSchema = z
  .object({
    nodeId: eid.refine((s) => nodeIdOf(s) !== undefined, { message: 'expected a node EID such as dtn://node/ or ipn:N.0' }),
    claAddress: z.string().regex(CLA_ADDRESS, { message: 'expected "<mtcp|smtcp|tcpclv3>:<host>:<port>"' }),
    reachableEids: z.array(eid).max(LIMITS.ud3tnConfigMaxEids).default([]),
    contacts: z.array(contactSchema).max(LIMITS.contactPlanMaxContacts).default([]),
  })
  .strict();

const planSchema = z.object({ nodes: z.array(nodeSchema).max(LIMITS.contactPlanMaxContacts) }).strict();

function resolveTime(t: number | string, loadedAt: number): number {
  if (typeof t === 'number') return t;
  const rel = RELATIVE.exec(t);
  if (rel !== null) return loadedAt + Math.round(Number(rel[1]) * (UNIT_MS[rel[2] as string] as number));
  return Date.parse(t);
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/** Parse and check a plan file; `loadedAt` (Unix ms) anchors relative times. */
export function parseContactPlan(text: string, loadedAt: number): Result<PlanCommand[]> {
  if (text.length > LIMITS.contactPlanMaxBytes) return err('LIMIT_EXCEEDED', `the contact plan is larger than ${LIMITS.contactPlanMaxBytes} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err('CONFIG_INVALID', `the contact plan is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = planSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((i) => `${pathText(i.path)}: ${i.message}`);
    const more = parsed.error.issues.length > 10 ? `; and ${parsed.error.issues.length - 10} more` : '';
    return err('CONFIG_INVALID', `contact plan: ${lines.join('; ')}${more}`);
  }
  const commands: PlanCommand[] = [];
  let total = 0;
  const seen = new Set<string>();
  for (const [n, node] of parsed.data.nodes.entries()) {
    const key = nodeIdOf(node.nodeId) as string;
    if (seen.has(key)) return err('CONFIG_INVALID', `contact plan: nodes[${n}].nodeId: node ${key} is listed twice`);
    seen.add(key);
    total += node.contacts.length;
    if (total > LIMITS.contactPlanMaxContacts) return err('LIMIT_EXCEEDED', `the contact plan holds more than ${LIMITS.contactPlanMaxContacts} contacts`);
    const contacts = [];
    for (const [i, c] of node.contacts.entries()) {
      const start = resolveTime(c.start, loadedAt);
      const end = resolveTime(c.end, loadedAt);
      if (!(end > start)) return err('CONFIG_INVALID', `contact plan: nodes[${n}].contacts[${i}].end: must be after start`);
      contacts.push({ ...(c.id === undefined ? {} : { id: c.id }), start, end, rateBytesPerSec: c.rateBytesPerSec, owltMs: c.owltMs, reachableEids: c.reachableEids });
    }
    commands.push({ command: 'add', nodeId: node.nodeId, claAddress: node.claAddress, reachableEids: node.reachableEids, contacts });
  }
  return ok(commands);
}
