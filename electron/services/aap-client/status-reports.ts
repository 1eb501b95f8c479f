/**
 * Status reports through AAP (docs/status-reports.md): Farside's extension of AAP 2.0 BundleADU.adu_flags.
 * uD3TN v0.13 reads adu_flags as bits but only tests BUNDLE_ADU_BPDU (aap2_agent.c process_adu_msg);
 * Farside's embedded BPA adds one bit per RFC 9171 §4.2.3 report request flag, with that flag's value, and
 * marks the administrative records it pushes to a subscriber with the ADMIN_RECORD flag's value.
 * AAP v1 has no room for any of this (SENDBUNDLE and RECVBUNDLE carry no flags).
 */
import { AAP2_ADU_FLAGS } from '../../../shared/protocol/aap2/messages';
import { BundleFlag } from '../../../shared/protocol/bpv7/flags';
import type { StatusReportRequest } from './types';

/** The adu_flags bits (docs/status-reports.md table). */
export const ADU_FLAGS = {
  /** uD3TN: the ADU is a BIBE PDU (both directions). */
  BPDU: AAP2_ADU_FLAGS.BPDU,
  /** Node → subscriber: the ADU is an administrative record. */
  ADMIN_RECORD: BundleFlag.ADMIN_RECORD,
  /** Client → node: request reception, forwarding, delivery, deletion reports. */
  REPORT_RECEPTION: BundleFlag.REPORT_RECEPTION,
  REPORT_FORWARDING: BundleFlag.REPORT_FORWARDING,
  REPORT_DELIVERY: BundleFlag.REPORT_DELIVERY,
  REPORT_DELETION: BundleFlag.REPORT_DELETION,
} as const;

/** The adu_flags that ask for the requested reports; 0 when none is asked for (or no request given). */
export function reportRequestFlags(r: StatusReportRequest | undefined): number {
  if (r === undefined) return 0;
  return (
    (r.reception === true ? ADU_FLAGS.REPORT_RECEPTION : 0) |
    (r.forwarding === true ? ADU_FLAGS.REPORT_FORWARDING : 0) |
    (r.delivery === true ? ADU_FLAGS.REPORT_DELIVERY : 0) |
    (r.deletion === true ? ADU_FLAGS.REPORT_DELETION : 0)
  );
}
