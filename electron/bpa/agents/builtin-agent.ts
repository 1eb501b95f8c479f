/** What starting a built-in agent (echo, config) returns. */
export interface BuiltinAgent {
  /** The endpoint the agent registered. */
  readonly eid: string;
  /** Release the registration. */
  stop(): void;
}
