/**
 * Every size and count limit Farside enforces, in one place (design.md principle 6). Decoders check
 * these before they allocate or buffer. Values cite where they come from.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export const LIMITS = {
  // ---- CBOR ----
  /** Nesting depth accepted by the generic CBOR reader (admin records, extension block data). */
  cborMaxDepth: 16,
  /** Items in one CBOR array or map accepted by the generic reader. */
  cborMaxItems: 4096,

  // ---- BPv7 (RFC 9171) ----
  /** Largest serialised bundle accepted. uD3TN v0.13 uses BUNDLE_MAX_SIZE = 1 GiB (protocols.md §3.10). */
  bundleMaxBytes: 1 * GiB,
  /** Canonical blocks per bundle; RFC 9171 sets none, this guards allocation. */
  bundleMaxBlocks: 64,
  /** Length of an EID's text form or dtn SSP. */
  eidMaxLength: 1024,
  /** Largest ADU (total application data unit length) we reassemble. */
  reassemblyMaxAduBytes: 1 * GiB,
  /** Fragments kept for one ADU during reassembly (bounds memory for overlapping junk). */
  reassemblyMaxFragmentsPerAdu: 65536,
  /** ADUs under reassembly at once in one reassembler. */
  reassemblyMaxPendingAdus: 1024,
  /** Total bytes held by one reassembler across ADUs. */
  reassemblyMaxBufferedBytes: 2 * GiB,
  /** Smallest payload slice a fragment may carry (uD3TN: at least 8 payload bytes, ud3tn-behaviour §9). */
  fragmentMinPayloadBytes: 8,

  // ---- BSMTP (RFC 2442 with RFC 5321 §4.5.3.1) ----
  /** Command line, CRLF included (RFC 5321 §4.5.3.1.4: 512 octets; extensions may add; we allow 4096). */
  smtpMaxCommandLine: 4096,
  /** Text line of the message, CRLF included (RFC 5321 §4.5.3.1.6: 1000 octets). */
  smtpMaxTextLine: 1000,
  /** Recipients per transaction (RFC 5321 §4.5.3.1.8 requires at least 100). */
  smtpMaxRecipients: 1000,
  /** Transactions in one BSMTP object. */
  bsmtpMaxTransactions: 1000,
  /** Size of one BSMTP object. */
  bsmtpMaxBytes: 1 * GiB,
  /** One SMTP reply line, CRLF included (RFC 5321 §4.5.3.1.5 sets 512; servers exceed it, so 2048). */
  smtpMaxReplyLine: 2048,
  /** Lines of one multi-line SMTP reply (an EHLO reply has one per extension). */
  smtpMaxReplyLines: 100,

  // ---- Mail gateway (electron/gateway) ----
  /** Largest message a gateway route carries when its configuration sets no limit. */
  gatewayDefaultMaxMessageBytes: 64 * MiB,
  /** Part of an invalid object attached to the postmaster notice (RFC 2442: hand it over for manual handling). */
  gatewayPostmasterAttachmentBytes: 8 * MiB,
  /** Characters of an EID written as a Received comment (percent-encoded and escaped, electron/gateway/trace-fields.ts); longer ones are cut, so no line nears RFC 5322 §2.1.1's 998. */
  gatewayTraceTokenMaxChars: 256,
  /** Largest original message returned whole in a DSN (RET=FULL); larger ones return headers only. */
  dsnMaxReturnedBytes: 256 * KiB,
  /** Per-recipient groups read from one delivery-status report (RFC 3464 §2.1). */
  dsnMaxRecipients: 1000,

  // ---- AAP v1 (uD3TN) ----
  /** Default maximum payload accepted by the AAP frame decoder (callers may set their own). */
  aapDefaultMaxPayload: 1 * GiB,
  /** EID length field is u16. */
  aapMaxEidLength: 0xffff,

  // ---- AAP 2.0 ----
  /** Largest varint-delimited protobuf message (not the ADU payload that may follow it). */
  aap2MaxMessageBytes: 64 * KiB,
  /** Default maximum ADU payload after a BundleADU. */
  aap2DefaultMaxPayload: 1 * GiB,
  /** Received bytes the AAP client buffers for a slow consumer before it stops reading (electron/services/aap-client). */
  aapClientInboxHighWaterBytes: 64 * MiB,

  // ---- Convergence layers ----
  /** Largest MTCP frame (one CBOR byte string holding one bundle). */
  mtcpMaxFrameBytes: 1 * GiB,
  /** SMTCP connections held waiting while one is served (uD3TN CLA_TCP_SINGLE_BACKLOG = 1, cla_tcp_common.h). */
  smtcpBacklog: 1,
  /** Largest TCPCLv3 data segment accepted. */
  tcpclv3MaxSegmentBytes: 1 * GiB,
  /** SDNV bytes accepted for one value (RFC 7242 uses SDNVs up to 64-bit values: 10 bytes). */
  sdnvMaxBytes: 10,

  // ---- uD3TN contact configuration (protocols.md §7.2) ----
  /** Largest config-agent payload parsed (uD3TN sets none; a contact plan of thousands of contacts fits). */
  ud3tnConfigMaxBytes: 1 * MiB,
  /** Commands in one payload. */
  ud3tnConfigMaxCommands: 1024,
  /** Contacts in one command. */
  ud3tnConfigMaxContacts: 4096,
  /** EIDs in one reachable-EID list (node-level or contact-level). */
  ud3tnConfigMaxEids: 1024,
  /** Length of a CLA address string. */
  ud3tnConfigMaxClaAddressLength: 1024,
  /** Digits of one integer (uD3TN parses unsigned 64-bit values: 20 digits). */
  ud3tnConfigMaxDigits: 20,

  // ---- Embedded BPA: contact plan ----
  /** Contact-plan JSON file size accepted by the BPA's --config loader. */
  contactPlanMaxBytes: 16 * MiB,
  /** Contacts held by one router (config commands and files beyond this are refused). */
  contactPlanMaxContacts: 65536,

  // ---- Embedded BPA: bundle store ----
  /** Bundle ids remembered for duplicate suppression; beyond it the earliest-expiring are forgotten first. */
  bundleStoreMaxSeenIds: 1_000_000,
  /** Largest intake-journal record replay accepts: an inline bundle (64 KiB default) plus its metadata, with room (electron/bpa/store/intake-journal.ts). */
  bundleStoreJournalMaxRecordBytes: 16 * MiB,
  /** The store applies both generations of its intake journal to SQLite at once when they hold this many operations … */
  bundleStoreJournalCheckpointOps: 262_144,
  /** … or this many bundle bytes (kept in memory until applied: 2.5–5 s of a 1 KiB stream is ~40 MB at 8,000 bundles/s). */
  bundleStoreJournalCheckpointBytes: 48 * MiB,
  /** Blob files of deleted bundles kept for reuse (electron/bpa/store/blob-files.ts) … */
  bundleStoreBlobPoolFiles: 16,
  /** … each at most this large (a larger one is deleted): at most 64 MiB of disk beyond the store's bound. */
  bundleStoreBlobPoolFileBytes: 4 * MiB,

  // ---- Embedded BPA: bundle processor (electron/bpa/bpa.ts) ----
  /** Default store bound on encoded bytes held (`farside bpa --store-max-bytes`). */
  bpaStoreDefaultMaxBytes: 4 * GiB,
  /** Default store bound on bundles held. */
  bpaStoreDefaultMaxBundles: 1_000_000,
  /** Encoded bundle bytes the processor keeps in memory between storing and sending/delivering (re-read from the store beyond). */
  bpaCacheMaxBytes: 16 * MiB,
  /** Bytes one link has in its delay line (one-way light time) and unfinished writes before the sender waits (only the next write's are held in memory). */
  bpaLinkMaxBufferedBytes: 64 * MiB,
  /** Contact-plan commands configured at run time that the BPA keeps across restarts. */
  bpaSavedPlanMaxCommands: 4096,
} as const;

export type Limits = typeof LIMITS;
