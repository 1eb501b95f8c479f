/**
 * uD3TN's config commands (protocols.md §7: DTN seconds, no one-way light time) as the router's plan
 * commands (Unix ms with an OWLT per contact). Router.applyConfig applies them this way, and the saved
 * plan stores them this way, so a restart replays exactly what was applied.
 */
import type { ConfigCommand } from '../../../shared/protocol/ud3tn-config/types';
import { unixMsFromDtnSeconds } from '../../../shared/protocol/ud3tn-config/dtn-seconds';
import type { PlanCommand } from './types';

/** `c` as a plan command; every contact gets `owltMs` (uD3TN's contacts have none, hence default 0). */
export function planCommandOf(c: ConfigCommand, owltMs = 0): PlanCommand {
  return {
    command: c.command,
    nodeId: c.nodeId,
    ...(c.claAddress === undefined ? {} : { claAddress: c.claAddress }),
    reachableEids: c.reachableEids,
    contacts: c.contacts.map((k) => ({
      start: unixMsFromDtnSeconds(k.start),
      end: unixMsFromDtnSeconds(k.end),
      rateBytesPerSec: k.rate,
      owltMs,
      reachableEids: k.reachableEids,
    })),
  };
}
