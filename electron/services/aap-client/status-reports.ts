/**
 * Status reports through AAP (docs/status-reports.md): Farside's extension of AAP 2.0 BundleADU.adu_flags
 * (shared/protocol/aap2/farside-adu-flags.ts). AAP v1 has no room for it (SENDBUNDLE and RECVBUNDLE carry
 * no flags).
 */
import { FARSIDE_ADU_FLAGS } from '../../../shared/protocol/aap2';
import type { StatusReportRequest } from './types';

/** The adu_flags bits (docs/status-reports.md table). */
export const ADU_FLAGS = FARSIDE_ADU_FLAGS;

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
