/**
 * In-process convergence layers for the processor's unit tests: a "network" of addresses, each bound by
 * a listener to a BundleSink. A link sends by handing a copy of the bytes (the concatenated parts) to
 * the sink bound at its address on a later tick, as a socket would. Tests can read every frame sent, make
 * connects or sends fail, and inject raw bytes.
 */
import { err, ok, type Result } from '../../../shared/errors';
import type { BundleSink, Cla, ClaLink, ClaListener, ClaName, ClaOrigin } from '../types';

export interface SentFrame {
  readonly cla: ClaName;
  readonly to: string;
  readonly bytes: Uint8Array;
  readonly at: number;
}

export interface FakeNetwork {
  /** A CLA of `name` whose listeners deliver to `sink`. */
  cla(name: ClaName, sink: BundleSink): FakeCla;
  /** Every frame sent, in order. */
  readonly sent: SentFrame[];
  /** Make connects to `hostPort` fail until `healthy` is called. */
  breakAddress(hostPort: string): void;
  /** Accept sends to `hostPort` but deliver nothing (a peer that died before reading) until `healthy`. */
  blackhole(hostPort: string): void;
  healthy(hostPort: string): void;
  /** Hand bytes to whatever listens at `hostPort`, as if a peer sent them. */
  inject(hostPort: string, bytes: Uint8Array, origin?: Partial<ClaOrigin>): void;
  connects(): number;
}

export interface FakeCla extends Cla {
  readonly links: ClaLink[];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function createFakeNetwork(clock: () => number = Date.now): FakeNetwork {
  const bound = new Map<string, { readonly cla: ClaName; readonly sink: BundleSink }>();
  const broken = new Set<string>();
  const holes = new Set<string>();
  const sent: SentFrame[] = [];
  let connects = 0;
  /** Links' "connection gone" resolvers by address: breaking an address closes its open links, as a peer reset would. */
  const openLinks = new Map<string, Set<() => void>>();

  function deliver(hostPort: string, bytes: Uint8Array, origin: ClaOrigin): void {
    const target = bound.get(hostPort);
    if (target !== undefined) setImmediate(() => target.sink(bytes, origin));
  }

  return {
    sent,
    connects: () => connects,
    breakAddress: (a) => {
      broken.add(a);
      for (const gone of [...(openLinks.get(a) ?? [])]) gone();
    },
    blackhole: (a) => void holes.add(a),
    healthy: (a) => {
      broken.delete(a);
      holes.delete(a);
    },
    inject(hostPort, bytes, origin) {
      deliver(hostPort, bytes, { cla: origin?.cla ?? 'mtcp', remote: origin?.remote ?? 'injected', ...(origin?.peerNodeId === undefined ? {} : { peerNodeId: origin.peerNodeId }) });
    },
    cla(name, sink) {
      const links: ClaLink[] = [];
      const listeners = new Set<string>();
      let closed = false;
      const cla: FakeCla = {
        name,
        links,
        async listen(host, port): Promise<Result<ClaListener>> {
          const address = `${host}:${port}`;
          if (bound.has(address)) return err('IO_ERROR', `${address} is in use`);
          bound.set(address, { cla: name, sink });
          listeners.add(address);
          return ok({
            cla: name,
            address,
            close: async () => {
              bound.delete(address);
              listeners.delete(address);
            },
          });
        },
        async connect(hostPort): Promise<Result<ClaLink>> {
          connects++;
          if (closed) return err('CONNECTION_CLOSED', 'closed');
          if (broken.has(hostPort) || !bound.has(hostPort)) return err('CONNECTION_FAILED', `nobody listens at ${hostPort}`);
          let open = true;
          let gone: () => void = () => undefined;
          const linkClosed = new Promise<void>((resolve) => {
            gone = () => {
              open = false;
              openLinks.get(hostPort)?.delete(gone);
              resolve();
            };
          });
          const forAddress = openLinks.get(hostPort) ?? new Set<() => void>();
          forAddress.add(gone);
          openLinks.set(hostPort, forAddress);
          const link: ClaLink = {
            cla: name,
            address: `${name}:${hostPort}`,
            async send(parts) {
              if (!open || broken.has(hostPort)) return err('CONNECTION_CLOSED', 'the link is closed');
              const bytes = concat(parts);
              sent.push({ cla: name, to: hostPort, bytes, at: clock() });
              if (!holes.has(hostPort)) deliver(hostPort, bytes, { cla: name, remote: `fake:${hostPort}` });
              return ok(undefined);
            },
            async close() {
              gone();
            },
            closed: linkClosed,
          };
          links.push(link);
          return ok(link);
        },
        async close() {
          closed = true;
          for (const a of listeners) bound.delete(a);
          listeners.clear();
          await Promise.all(links.map((l) => l.close()));
        },
      };
      return cla;
    },
  };
}
