/**
 * Status reports through AAP (docs/status-reports.md): Farside's extension of AAP 2.0 BundleADU.adu_flags
 * (shared/protocol/aap2/farside-adu-flags.ts). AAP v1 has no room for it (SENDBUNDLE and RECVBUNDLE carry
 * no flags).
 */
import { FARSIDE_ADU_FLAGS } from '../../../shared/protocol/aap2';

/** The adu_flags bits (docs/status-reports.md table). */
export const ADU_FLAGS = FARSIDE_ADU_FLAGS;

/**
 * The adu_flags that ask for the requested reports; 0 when none is asked for (or no request given).
 * Farside's adu_flags bits have the values of the RFC 9171 §4.2.3 bundle flags, so they are those flags.
 */
export { reportRequestFlags } from '../../../shared/protocol/bpv7/flags';
