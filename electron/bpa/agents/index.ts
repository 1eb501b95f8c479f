/** The BPA's built-in agents: echo (health check) and config (contact configuration, uD3TN's format). */
import type { Result } from '../../../shared/errors';
import type { BuiltinAgent } from './builtin-agent';
import { startConfigAgent, type ConfigAgentOptions } from './config-agent';
import { startEchoAgent } from './echo-agent';

export type { BuiltinAgent } from './builtin-agent';
export { startConfigAgent, type ConfigAgentOptions } from './config-agent';
export { startEchoAgent, type EchoAgentOptions } from './echo-agent';

/** Start both built-in agents, as uD3TN does at boot; stop() releases both. */
export function startBuiltinAgents(options: ConfigAgentOptions): Result<{ readonly agents: readonly BuiltinAgent[]; stop(): void }> {
  const echo = startEchoAgent(options);
  if (!echo.ok) return echo;
  const config = startConfigAgent(options);
  if (!config.ok) {
    echo.value.stop();
    return config;
  }
  const agents = [echo.value, config.value];
  return { ok: true, value: { agents, stop: () => agents.forEach((a) => a.stop()) } };
}
