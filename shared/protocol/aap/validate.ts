/**
 * uD3TN's validity rules for a decoded AAP v1 message, kept apart from decoding (design.md principle 4).
 * A server (the embedded BPA) ignores messages that fail, as uD3TN does: no reply, connection kept
 * (v0.13:components/aap/aap.c aap_message_is_valid, application_agent.c process_aap_message).
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { AAP_LAYOUT } from './layout';
import type { AapMessage, AapTypeLayout } from './layout';

/**
 * Check `message` as sent by `sender`:
 * - UNSUPPORTED: the type is not one that side sends (AAP_LAYOUT `sender`); e.g. a client's ACK or
 *   WELCOME, which uD3TN ignores (probe_client_sends_ack, probe_client_sends_welcome).
 * - MALFORMED: a SENDCONFIRM/CANCELBUNDLE bundle ID of 0 (probe_cancel_zero: no reply), or an EID with a
 *   NUL character (uD3TN compares strlen() with the length field).
 */
export function validateAapMessage(message: AapMessage, sender: 'node' | 'client'): Result<AapMessage> {
  const layout: AapTypeLayout = AAP_LAYOUT[message.type];
  if (layout.sender !== 'both' && layout.sender !== sender) {
    return err('UNSUPPORTED', `AAP ${message.type} is not sent by the ${sender}`);
  }
  if ('bundleId' in message && message.bundleId === 0n) {
    return err('MALFORMED', `AAP ${message.type} with bundle ID 0`);
  }
  if ('eid' in message && message.eid.includes('\u0000')) {
    return err('MALFORMED', `AAP ${message.type}: EID contains a NUL character`);
  }
  return ok(message);
}
