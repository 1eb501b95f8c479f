/**
 * Farside's extension of AAP 2.0 BundleADU.adu_flags (docs/status-reports.md), used by the AAP client and
 * the embedded BPA alike. uD3TN v0.13 reads adu_flags as bits but only tests BUNDLE_ADU_BPDU
 * (aap2_agent.c process_adu_msg); Farside adds one bit per RFC 9171 §4.2.3 report request flag, with that
 * flag's value, and marks the administrative records a node pushes to a subscriber with the ADMIN_RECORD
 * flag's value, so that no bit collides with BPDU (1).
 */
import { BundleFlag, REPORT_REQUEST_FLAGS } from '../bpv7/flags';
import { AAP2_ADU_FLAGS } from './messages';

export const FARSIDE_ADU_FLAGS = {
  /** uD3TN: the ADU is a BIBE PDU (both directions). */
  BPDU: AAP2_ADU_FLAGS.BPDU,
  /** Node → subscriber: the ADU is an administrative record. */
  ADMIN_RECORD: BundleFlag.ADMIN_RECORD,
  /** Client → node: request reception, forwarding, delivery, deletion reports (RFC 9171 §4.2.3). */
  REPORT_RECEPTION: BundleFlag.REPORT_RECEPTION,
  REPORT_FORWARDING: BundleFlag.REPORT_FORWARDING,
  REPORT_DELIVERY: BundleFlag.REPORT_DELIVERY,
  REPORT_DELETION: BundleFlag.REPORT_DELETION,
} as const;

/** Every report-request bit: the bundle's report request flags, as the bits have their values. */
export const FARSIDE_REPORT_ADU_BITS = REPORT_REQUEST_FLAGS;
