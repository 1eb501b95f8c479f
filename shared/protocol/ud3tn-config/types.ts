/**
 * uD3TN's contact configuration, as sent in the payload of a bundle to the config agent
 * (`dtn://<node>/config` or `ipn:<node>.9000`; protocols.md §7). One payload holds one or more commands.
 *
 * The values are kept as written: EIDs are not normalised here (uD3TN turns every EID into its node ID
 * when it stores it, `config_parser.c` `end_read_eid`; the router does that), so a parsed command
 * re-encodes to the same bytes.
 */

/**
 * `add` (1): create the node if missing and add CLA address, reachable EIDs and contacts.
 * `replace` (2, ROUTER_COMMAND_UPDATE in uD3TN, UPDATE in ud3tn_utils): replace the node's data.
 * `delete` (3): delete the node, or only the listed reachable EIDs and contacts.
 * `query` (4): accepted by uD3TN v0.13's parser but not implemented: `router_task.c`
 * `process_router_command` has no case for it, frees the command and reports failure.
 */
export type ConfigCommandName = 'add' | 'replace' | 'delete' | 'query';

/** One `{start,end,rate[,[eids]]}` element of a command's contact list. */
export interface ConfigContact {
  /** DTN time in seconds (seconds since 2000-01-01T00:00:00Z), as uD3TN parses it (it multiplies by 1000). */
  readonly start: number;
  /** DTN time in seconds. */
  readonly end: number;
  /** Bytes per second (uD3TN stores a uint32). */
  readonly rate: number;
  /** Further EIDs reachable during this contact only. */
  readonly reachableEids: readonly string[];
}

export interface ConfigCommand {
  readonly command: ConfigCommandName;
  /** The node's EID as written, e.g. "dtn://mars.dtn/" or "ipn:2.0". */
  readonly nodeId: string;
  /** 100..1000 when present; uD3TN v0.13 checks the range and then ignores the value ("not used anymore"). */
  readonly reliability?: number;
  /**
   * `<cla>:<address>`, e.g. "mtcp:127.0.0.1:4224". Absent when the command has no `(…)` CLA field; the
   * empty string when it has `()` (uD3TN's ADD keeps the node's current address then).
   */
  readonly claAddress?: string;
  /** Further EIDs reachable through this node during any of its contacts. */
  readonly reachableEids: readonly string[];
  readonly contacts: readonly ConfigContact[];
}
