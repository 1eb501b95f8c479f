/**
 * Contact configuration through uD3TN's config agent (protocols.md §7): one ADD command in the payload of
 * a bundle to `<nodeId>config` (dtn) or `ipn:N.9000`. The config agent answers nothing over AAP; the only
 * confirmation is the SENDCONFIRM of the config bundle (§7.1; aap1/earth-config_01..05). uD3TN ≥ 0.14
 * refuses configuration over AAP v1 by default (§7.3): use AAP 2.0 there, or run uD3TN with -R.
 */
import { err, ok, type Result } from '../../../shared/errors';
import { configAgentEid, contactAddPayload } from '../../../shared/protocol/ud3tn-config/contact-add';
import { dtnSecondsFromUnixMs } from '../../../shared/protocol/ud3tn-config/dtn-seconds';
import { checkNodeId } from './endpoint';
import type { BundleId, ContactRequest, ContactSent } from './types';

/**
 * The default data rate: "unlimited". uD3TN stores a uint32 rate and treats a capacity (duration in s ×
 * rate) of INT32_MAX or more, or one that overflows, as unlimited (v0.13:components/ud3tn/node.c
 * recalculate_contact_capacity); UINT32_MAX B/s reaches that for any contact of one second or more.
 */
export const UNLIMITED_RATE = 0xffff_ffff;

/** Default contact length when no end is given: one day. */
export const DEFAULT_CONTACT_MS = 86_400_000;

export interface ConfigAgentTarget {
  readonly nodeId: string | null;
  send(destination: string, payload: Uint8Array): Promise<Result<BundleId>>;
}

export async function addContact(target: ConfigAgentTarget, contact: ContactRequest, nowMs: number): Promise<Result<ContactSent>> {
  if (target.nodeId === null) return err('CONNECTION_CLOSED', 'not connected: the config agent address depends on the node ID');
  const peer = checkNodeId(contact.node);
  if (!peer.ok) return err('INVALID_EID', `--node must be a node ID (dtn://node/ or ipn:N.0), got ${JSON.stringify(contact.node)}`);
  const destination = configAgentEid(target.nodeId);
  if (!destination.ok) return destination;
  const start = contact.start ?? nowMs;
  const end = contact.end ?? start + DEFAULT_CONTACT_MS;
  const payload = contactAddPayload({
    nodeId: contact.node,
    claAddress: contact.cla,
    start: dtnSecondsFromUnixMs(start),
    end: dtnSecondsFromUnixMs(end),
    rate: contact.rateBytesPerSec ?? UNLIMITED_RATE,
  });
  if (!payload.ok) return payload;
  const sent = await target.send(destination.value, payload.value);
  if (!sent.ok) return sent;
  return ok({ bundleId: sent.value, destination: destination.value, config: new TextDecoder().decode(payload.value) });
}
