/**
 * `farside gateway --config FILE`: runs the BP ⇄ SMTP mail gateway (electron/gateway) until SIGTERM or
 * SIGINT. Thin: the file becomes a GatewayConfig (gateway/config.ts), createGateway composes the service.
 * Standard output carries one JSON line per event (message events, node link, listener); the
 * `gateway.ready` line gives the bound ports, so a parent process can spawn it and read where the site
 * MTA must relay to.
 */
import { readFile } from 'node:fs/promises';
import { toLogFormat } from '../../../shared/errors';
import { configBaseDir, parseGatewayConfig } from '../../gateway/config';
import { createGateway } from '../../gateway/gateway';
import { parseOptions, stringOption } from '../args';
import { EXIT_FAILURE, failure, usageError, type CliCommand, type CliIo } from '../io';

const help = `Usage: farside gateway --config FILE

Runs Farside's mail gateway: mail the site MTA relays to its SMTP listener goes out as one Batch SMTP
(RFC 2442) bundle per destination gateway; bundles for its mail agent (dtn://NODE/email, ipn:N.25) are
replayed into the site MTA exactly once, with RFC 3464 DSNs back over BP. Stops cleanly on SIGTERM or
SIGINT; queued mail stays stored for the next start.

Options:
  --config FILE   JSON configuration (relative paths in it are taken from its directory):
                  {
                    "node": { "aap": "tcp:127.0.0.1:4242", "protocol": "aap1" },
                    "mta": { "host": "127.0.0.1", "port": 25 },
                    "listen": { "host": "127.0.0.1", "port": 2525 },
                    "routes": [{ "domain": "mars.example", "eid": "dtn://mars.dtn/email" }],
                    "localDomains": ["earth.example"],
                    "authorisedSources": ["dtn://mars.dtn/email"],
                    "store": { "dir": "gateway-state" },
                    "metrics": { "host": "127.0.0.1", "port": 9464 }
                  }
                  optional: hostname, node.agent/secret/keepaliveSeconds/requestTimeoutMs/reconnect/
                  subscriberConfirmDeadlineMs, listen.allowedPeers, routes[].maxMessageBytes,
                  acceptPlainRfc5322, limits, retry (see electron/gateway/config.ts)

Output: one JSON line per event on standard output ("outbound-queued", "bundle-handed-over",
"inbound-accepted", "inbound-delivered", "dsn-queued", …; never message bodies). When ready:
  {"event":"gateway.ready","smtp":"127.0.0.1:2525","metrics":"127.0.0.1:9464","store":…,"pid":…}
Metrics: GET http://<metrics>/metrics (Prometheus text) or /metrics.json.`;

async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(argv, { config: { type: 'string' } });
  if (!parsed.ok) {
    return usageError(io, 'gateway', parsed.error.message);
  }
  const configPath = stringOption(parsed.value.values, 'config');
  if (configPath === undefined) {
    return usageError(io, 'gateway', '--config FILE is required');
  }
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (e) {
    return failure(io, 'gateway', `cannot read ${configPath}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const config = parseGatewayConfig(text, configBaseDir(configPath));
  if (!config.ok) {
    return failure(io, 'gateway', `${configPath}: ${toLogFormat(config.error)}`);
  }

  // Log lines are written in order; a slow stdout only delays them (Node buffers the writes).
  const line = (e: Record<string, unknown>): void => {
    void io.stdout(`${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`).catch(() => undefined);
  };
  const gateway = createGateway({ config: config.value, log: line });
  const started = await gateway.start();
  if (!started.ok) {
    return failure(io, 'gateway', started.error);
  }
  const { smtp, metrics, store } = started.value;
  line({ event: 'gateway.ready', smtp: `${smtp.host}:${smtp.port}`, metrics: metrics === null ? null : `${metrics.host}:${metrics.port}`, store, pid: process.pid });

  const stopSignal = new Promise<null>((resolve) => {
    if (io.signal.aborted) resolve(null);
    else io.signal.addEventListener('abort', () => resolve(null), { once: true });
  });
  const fatal = await Promise.race([stopSignal, gateway.failure]);
  await gateway.stop();
  if (fatal !== null) {
    io.stderr(`farside gateway: ${toLogFormat(fatal)}`);
    line({ event: 'gateway.exit', code: fatal.code });
    return EXIT_FAILURE;
  }
  line({ event: 'gateway.exit' });
  return 0;
}

export const gatewayCommand: CliCommand = {
  path: ['gateway'],
  summary: 'run the BP ⇄ SMTP mail gateway (BSMTP bundles, exactly-once replay into the MTA, DSNs, metrics)',
  help,
  run,
};
