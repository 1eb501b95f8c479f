/**
 * Option parsing shared by the commands: node:util parseArgs in strict mode, with errors turned into
 * one clear line. Numbers are parsed strictly (no "12abc", no floats where integers are meant).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { err, ok, type Result } from '../../shared/errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export function parseOptions(argv: string[], options: Options, allowPositionals = false): Result<Parsed> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return ok({ values: values as Parsed['values'], positionals });
  } catch (e) {
    return err('INVALID_ARGUMENT', e instanceof Error ? e.message : String(e));
  }
}

/** A non-negative integer option (≤ 2^53-1), or the default when absent. */
export function intOption(values: Parsed['values'], name: string, fallback?: number): Result<number | undefined> {
  const raw = values[name];
  if (raw === undefined) return ok(fallback);
  if (typeof raw !== 'string' || !/^(0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(raw)) {
    return err('INVALID_ARGUMENT', `--${name} needs a non-negative integer, got '${String(raw)}'`);
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) return err('INVALID_ARGUMENT', `--${name} is too large: ${raw}`);
  return ok(n);
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

export function listOption(values: Parsed['values'], name: string): string[] {
  const raw = values[name];
  if (Array.isArray(raw)) return raw;
  return typeof raw === 'string' ? [raw] : [];
}
