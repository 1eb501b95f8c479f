/**
 * What a CLI command gets from the outside world, injected so commands can be tested without a process:
 * standard input as a byte stream, and writers for standard output and standard error.
 */
import type { Readable, Writable } from 'node:stream';
import { toLogFormat, type FarsideError } from '../../shared/errors';

export interface CliIo {
  /** Standard input as chunks of bytes. */
  readonly stdin: AsyncIterable<Uint8Array>;
  /** Writes text or bytes to standard output, resolving when the stream accepted them (backpressure). */
  stdout(data: string | Uint8Array): Promise<void>;
  /** Writes one message to standard error. */
  stderr(text: string): void;
  /** Environment variables (never logged: they may hold secrets). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT/SIGTERM: long-running commands (bpa, gateway) stop cleanly when it fires. */
  readonly signal: AbortSignal;
}

export interface CliCommand {
  /** Words that select the command, e.g. ['bundle', 'decode']. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Full --help text (usage line first). */
  readonly help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Exit status for bad usage (unknown option, missing argument). */
export const EXIT_USAGE = 2;
/** Exit status for invalid input or a failed operation; one line on stderr names the problem. */
export const EXIT_FAILURE = 1;

/** "farside <command>: <problem>" on standard error; an error is written with its code. */
function tell(io: CliIo, command: string, problem: FarsideError | string): void {
  io.stderr(`farside ${command}: ${typeof problem === 'string' ? problem : toLogFormat(problem)}`);
}

/** Bad usage: the problem on standard error, and EXIT_USAGE to return. */
export function usageError(io: CliIo, command: string, problem: FarsideError | string): number {
  tell(io, command, problem);
  return EXIT_USAGE;
}

/** Invalid input or a failed operation: the problem on standard error, and EXIT_FAILURE to return. */
export function failure(io: CliIo, command: string, problem: FarsideError | string): number {
  tell(io, command, problem);
  return EXIT_FAILURE;
}

export async function readAll(stdin: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    parts.push(chunk);
    total += chunk.length;
  }
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function writeTo(stream: Writable, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (e) => (e ? reject(e) : resolve()));
  });
}

/** A command run with `argv` that asks for --help or -h: print its help text instead. */
export async function printedHelp(command: CliCommand, argv: readonly string[], io: CliIo): Promise<boolean> {
  if (!argv.includes('--help') && !argv.includes('-h')) return false;
  await io.stdout(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
  return true;
}

/**
 * Run `body` with this process's standard streams as its CliIo: SIGINT and SIGTERM abort io.signal, and a
 * closed stdout (e.g. `farside bundle decode | head`) ends the process quietly instead of a stack trace.
 * The entry points of bin/farside.js (main.ts, and bpa-main.ts for the prebuilt `farside bpa`).
 */
export async function withProcessIo(body: (io: CliIo) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  try {
    return await body(processIo(process.stdin, process.stdout, process.stderr, controller.signal));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function processIo(stdin: Readable, stdout: Writable, stderr: Writable, signal: AbortSignal): CliIo {
  return {
    stdin: stdin as AsyncIterable<Uint8Array>,
    stdout: (data) => writeTo(stdout, data),
    stderr: (text) => {
      stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    env: process.env,
    signal,
  };
}

/** An in-memory CliIo for tests: feed stdin bytes, read what the command wrote. */
export function memoryIo(input: Uint8Array | string = new Uint8Array(0)): {
  io: CliIo;
  out: () => Uint8Array;
  outText: () => string;
  errText: () => string;
} {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const outParts: Uint8Array[] = [];
  let err = '';
  const controller = new AbortController();
  const io: CliIo = {
    stdin: (async function* () {
      if (bytes.length > 0) yield bytes;
    })(),
    stdout: async (data) => {
      outParts.push(typeof data === 'string' ? new TextEncoder().encode(data) : data.slice());
    },
    stderr: (text) => {
      err += text.endsWith('\n') ? text : `${text}\n`;
    },
    env: {},
    signal: controller.signal,
  };
  const out = (): Uint8Array => {
    const total = outParts.reduce((n, p) => n + p.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of outParts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  };
  return { io, out, outText: () => new TextDecoder().decode(out()), errText: () => err };
}
