/**
 * Contacts configured at run time survive a restart (issue 3; a deliberate difference from uD3TN v0.13,
 * whose contacts live in memory only and must be configured again after every start, protocols.md §7.4).
 *
 * Every command the router accepted at run time (config-agent bundles, BPA.applyPlan with persist) is
 * appended to `<state dir>/contact-plan.json` (written to a temporary file and renamed, so a crash leaves
 * the old or the new list, never half of one). At startup the BPA applies the static plan of its config
 * file first and then these commands in their order, skipping contacts that ended meanwhile
 * (router `dropEnded`), so a restart reproduces the plan as it was, minus the past.
 *
 * The list is bounded (LIMITS.bpaSavedPlanMaxCommands): beyond it the oldest commands whose contacts
 * have all ended are dropped (they no longer add a contact; a node they created keeps its address in
 * any later command that names it with one); when none can be dropped, the new command is refused.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { err, ok, type Result } from '../../shared/errors';
import { LIMITS } from '../../shared/protocol/limits';
import type { PlanCommand } from './router/types';

export const SAVED_PLAN_FILE = 'contact-plan.json';

const contactSchema = z
  .object({
    id: z.string().optional(),
    start: z.number().int().nonnegative(),
    end: z.number().int().nonnegative(),
    rateBytesPerSec: z.number().int().nonnegative(),
    owltMs: z.number().int().nonnegative(),
    reachableEids: z.array(z.string()),
  })
  .strict();

const commandSchema = z
  .object({
    command: z.enum(['add', 'replace', 'delete', 'query']),
    nodeId: z.string(),
    claAddress: z.string().optional(),
    reachableEids: z.array(z.string()),
    contacts: z.array(contactSchema),
  })
  .strict();

const fileSchema = z.object({ version: z.literal(1), commands: z.array(commandSchema) }).strict();

export interface SavedPlan {
  /** The saved commands, oldest first. */
  commands(): readonly PlanCommand[];
  /** Append an applied command and write the file; LIMIT_EXCEEDED / IO_ERROR when it cannot be kept. */
  append(command: PlanCommand, now: number): Result<void>;
}

function ended(c: PlanCommand, now: number): boolean {
  return c.contacts.length > 0 && c.contacts.every((k) => k.end <= now);
}

/** Open (or start) the saved plan in `dir`; a damaged file is reported and replaced by the next append. */
export function openSavedPlan(dir: string, onProblem: (message: string) => void): SavedPlan {
  const path = join(dir, SAVED_PLAN_FILE);
  let list: PlanCommand[] = [];
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    text = undefined; // none saved yet
  }
  if (text !== undefined) {
    try {
      const parsed = fileSchema.safeParse(JSON.parse(text));
      if (parsed.success) list = parsed.data.commands.map((c) => ({ ...c, contacts: c.contacts.map((k) => ({ ...k })) }) as PlanCommand);
      else onProblem(`${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}; the saved contacts are ignored`);
    } catch (e) {
      onProblem(`${path}: ${e instanceof Error ? e.message : String(e)}; the saved contacts are ignored`);
    }
  }

  function write(next: PlanCommand[]): Result<void> {
    const tmp = `${path}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ version: 1, commands: next }));
      renameSync(tmp, path);
      return ok(undefined);
    } catch (e) {
      return err('IO_ERROR', `cannot save the contact plan to ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  return {
    commands: () => list,
    append(command, now) {
      let next = [...list, command];
      if (next.length > LIMITS.bpaSavedPlanMaxCommands) next = next.filter((c) => !ended(c, now));
      if (next.length > LIMITS.bpaSavedPlanMaxCommands) {
        return err('LIMIT_EXCEEDED', `more than ${LIMITS.bpaSavedPlanMaxCommands} contact-plan commands with contacts to come are saved`);
      }
      const w = write(next);
      if (w.ok) list = next;
      return w;
    },
  };
}
