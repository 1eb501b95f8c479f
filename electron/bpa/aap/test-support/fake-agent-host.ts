/**
 * An in-memory AgentHost for the tests of the AAP servers and the built-in agents. It follows the
 * contract in ../../types.ts and uD3TN's registration rules (agent_manager.c `agent_register`): per EID
 * one receiving registration (AAP v1 or AAP 2.0 subscriber) and one active one, and the second of the
 * two must present the first one's secret. Creation time comes from an injected clock and the sequence
 * number counts within one millisecond, as uD3TN allocates it (application_agent.c
 * `allocate_sequence_number`), so a test can reproduce the bundle IDs of the uD3TN vectors.
 */
import { err, ok, type ErrorCode, type Result } from '../../../../shared/errors';
import type { AgentHost, AgentSink, DeliveredAdu, SubmitRequest, SubmittedBundle } from '../../types';

type Role = 'v1' | 'active' | 'subscriber';

interface Registration {
  readonly eid: string;
  readonly role: Role;
  readonly secret: string;
  readonly sink: AgentSink | null;
}

export interface FakeAgentHostOptions {
  readonly nodeId: string;
  /** DTN time in ms for each submitted bundle; default: a counter from 1. */
  readonly clock?: () => number;
  /** Lifetime reported for submissions without one; uD3TN's default -l is 86400 s. */
  readonly lifetimeMs?: number;
  /**
   * Hand every submission whose destination has a receiving registration to that sink, as a local
   * bundle processor would (echo agent, AAP v1 loopback). Default true.
   */
  readonly loopback?: boolean;
  /**
   * Keep deliveries for an endpoint without a receiving registration and hand them to the sink, at once,
   * inside register() (as a processor that keeps bundles for absent agents may). Default false: such a
   * delivery resolves false.
   */
  readonly keepForAbsentAgents?: boolean;
}

export interface FakeAgentHost extends AgentHost {
  /** Every accepted submission, in order. */
  readonly submitted: SubmitRequest[];
  /** Deliveries made through deliver() and loopback, with their outcome once known. */
  readonly delivered: { eid: string; adu: DeliveredAdu; result: Promise<boolean> }[];
  /** Live registrations as "role eid" strings, for assertions. */
  registrations(): string[];
  /** Deliver to the receiving sink of `eid`; false when none is registered. */
  deliver(eid: string, adu: DeliveredAdu): Promise<boolean>;
  /** Make the next submit fail with `code`. */
  failNextSubmit(code: ErrorCode): void;
  /** Wait until `count` submissions were made (polling, for integration tests). */
  waitForSubmissions(count: number, timeoutMs?: number): Promise<void>;
}

const receiving = (role: Role): boolean => role !== 'active';

export function createFakeAgentHost(options: FakeAgentHostOptions): FakeAgentHost {
  const regs = new Set<Registration>();
  const submitted: SubmitRequest[] = [];
  const delivered: FakeAgentHost['delivered'] = [];
  let tick = 0;
  const clock = options.clock ?? (() => ++tick);
  let lastTime = -1;
  let lastSeq = 0;
  let failure: ErrorCode | null = null;

  const receiverOf = (eid: string): Registration | undefined => {
    for (const r of regs) if (r.eid === eid && receiving(r.role) && r.sink !== null) return r;
    return undefined;
  };

  const kept: { eid: string; adu: DeliveredAdu; resolve(ok: boolean): void }[] = [];

  const deliver = (eid: string, adu: DeliveredAdu): Promise<boolean> => {
    const r = receiverOf(eid);
    let result: Promise<boolean>;
    if (r?.sink) result = r.sink.deliver(adu);
    else if (options.keepForAbsentAgents === true) result = new Promise((resolve) => kept.push({ eid, adu, resolve }));
    else result = Promise.resolve(false);
    delivered.push({ eid, adu, result });
    return result;
  };

  const host: FakeAgentHost = {
    nodeId: options.nodeId,
    submitted,
    delivered,

    register(eid, sink, opts) {
      const role: Role = opts?.role ?? 'v1';
      const secret = opts?.secret ?? '';
      for (const r of regs) {
        if (r.eid !== eid) continue;
        if (receiving(r.role) === receiving(role)) return err('CONFLICT', `${eid} is already registered`);
        if (r.secret !== secret) return err('UNAUTHORIZED', `${eid} is registered with another secret`);
      }
      const reg: Registration = { eid, role, secret, sink };
      regs.add(reg);
      if (receiving(role) && sink !== null) {
        for (const k of kept.filter((x) => x.eid === eid)) {
          kept.splice(kept.indexOf(k), 1);
          void sink.deliver(k.adu).then(k.resolve);
        }
      }
      return ok({ release: () => void regs.delete(reg) });
    },

    async submit(req: SubmitRequest): Promise<Result<SubmittedBundle>> {
      if (failure !== null) {
        const code = failure;
        failure = null;
        return err(code, 'fake submit failure');
      }
      submitted.push(req);
      const time = clock();
      lastSeq = time === lastTime ? lastSeq + 1 : 1;
      lastTime = time;
      const bundle: SubmittedBundle = {
        source: req.source,
        destination: req.destination,
        creationTime: time,
        sequence: lastSeq,
        lifetimeMs: req.lifetimeMs ?? options.lifetimeMs ?? 86_400_000,
        // A BIBE PDU is wrapped as the admin record [3, PDU] (two more bytes, protocols.md §6.5).
        payloadLength: req.payload.length + (req.bibe === true ? 2 : 0),
      };
      if ((options.loopback ?? true) && receiverOf(req.destination) !== undefined) {
        // After the submitter's confirmation, as a processor delivers after storing.
        setImmediate(() => {
          void deliver(req.destination, {
            source: req.source,
            destination: req.destination,
            creationTime: bundle.creationTime,
            sequence: bundle.sequence,
            payload: req.payload,
            isAdminRecord: false,
            isBibe: req.bibe === true,
            receivedFrom: 'local',
          });
        });
      }
      return ok(bundle);
    },

    registrations: () => [...regs].map((r) => `${r.role} ${r.eid}`).sort(),
    deliver,
    failNextSubmit(code) {
      failure = code;
    },
    async waitForSubmissions(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (submitted.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} submissions, got ${submitted.length}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
  return host;
}
