/**
 * What `farside send` and `farside contact add` share: the --aap/--aap2/--agent/--timeout options, and
 * one short-lived AAP client that connects, registers and is closed again.
 */
import { err, ok, type FarsideError, type Result } from '../../../shared/errors';
import { createAapClient } from '../../services/aap-client/client';
import { parseAapAddress } from '../../services/aap-client/transport';
import type { AapClient } from '../../services/aap-client/types';
import { intOption, stringOption, type Parsed } from '../args';
import { failure, usageError, type CliIo } from '../io';

/** parseArgs option specs of the shared options. */
export const AAP_OPTIONS = {
  aap: { type: 'string' },
  aap2: { type: 'boolean' },
  agent: { type: 'string' },
  timeout: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

export const AAP_HELP = `Node connection:
  --aap tcp:HOST:PORT|unix:PATH   where the node's AAP socket listens (uD3TN: -a/-p or -s; AAP 2.0: -S)
  --aap2                          speak AAP 2.0 (uD3TN's .aap2.socket) instead of AAP v1
  --agent ID                      agent ID to register (default %AGENT% on a dtn node; on an ipn node a
                                  service number is required)
  --timeout MS                    how long to wait for each reply (default 10000)
  --verbose                       log connection events on stderr
  AAP 2.0 secret: the FARSIDE_AAP_SECRET environment variable, if set.`;

export interface AapSession {
  readonly client: AapClient;
  close(): Promise<void>;
}

/**
 * Connect and register. `defaultAgent` is used on dtn nodes when --agent is absent; ipn nodes have no
 * name-like agent IDs, so there the caller must pick a service number.
 */
export async function openAapSession(values: Parsed['values'], io: CliIo, defaultAgent: string): Promise<Result<AapSession>> {
  const address = stringOption(values, 'aap');
  if (address === undefined) return err('INVALID_ARGUMENT', '--aap tcp:HOST:PORT|unix:PATH is required');
  const transport = parseAapAddress(address);
  if (!transport.ok) return transport;
  const timeout = intOption(values, 'timeout', 10_000);
  if (!timeout.ok) return timeout;
  if (timeout.value === 0) return err('INVALID_ARGUMENT', '--timeout must be at least 1 ms');
  const verbose = values['verbose'] === true;
  const secret = io.env['FARSIDE_AAP_SECRET'];

  const client = createAapClient({
    transport: transport.value,
    protocol: values['aap2'] === true ? 'aap2' : 'aap1',
    ...(secret ? { secret } : {}),
    requestTimeoutMs: timeout.value ?? 10_000,
    reconnect: { initialMs: 200, maxMs: 2000 },
    log: (e) => {
      if (verbose) io.stderr(JSON.stringify(e));
    },
  });
  const session: AapSession = { client, close: () => client.close() };
  const connected = await client.connect();
  if (!connected.ok) {
    await session.close();
    return connected;
  }
  const explicit = stringOption(values, 'agent');
  const agent = explicit ?? (connected.value.nodeId.startsWith('ipn:') ? undefined : defaultAgent);
  if (agent === undefined) {
    await session.close();
    return err('INVALID_ARGUMENT', `the node ${connected.value.nodeId} uses ipn: pass --agent with a service number`);
  }
  const registered = await client.register(agent);
  if (!registered.ok) {
    await session.close();
    const hint = registered.error.code === 'AAP_NACK' ? ' (invalid, built-in or held by another connection: try another --agent)' : '';
    return err(registered.error.code, `registering agent ${JSON.stringify(agent)}: ${registered.error.message}${hint}`);
  }
  return ok(session);
}

/** An AAP command's error: INVALID_ARGUMENT (a bad option value, e.g. --aap) is bad usage, the rest a failure. */
export function commandError(io: CliIo, command: string, e: FarsideError): number {
  return e.code === 'INVALID_ARGUMENT' ? usageError(io, command, e) : failure(io, command, e);
}
