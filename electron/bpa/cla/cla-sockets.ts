/**
 * The sockets one TCP CLA opened (MTCP, SMTCP, TCPCLv3): its listeners and the connections it dialed, so
 * that close() ends them all (types.ts, Cla.close: "Close every listener and link"), and the one log
 * line for a connect that failed. The three CLAs did this bookkeeping the same way; what a connection
 * carries, and what happens when the CLA is closed while a dial is under way, stays in each CLA's file.
 */
import type { Socket } from 'node:net';
import { ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import type { ClaListener, ClaName, Log } from '../types';
import { DEFAULT_CONNECT_TIMEOUT_MS, SocketSet, dialTcp, listenTcp } from './tcp-socket';
import type { TcpServer } from './tcp-socket';

export class ClaSockets {
  private readonly servers = new Set<TcpServer>();
  private readonly dialed = new SocketSet();
  private readonly cla: ClaName;
  private readonly log: Log;
  private readonly connectTimeoutMs: number;

  /** `connectTimeoutMs`: how long dial() waits for TCP; default DEFAULT_CONNECT_TIMEOUT_MS. */
  constructor(cla: ClaName, log: Log, connectTimeoutMs: number | undefined) {
    this.cla = cla;
    this.log = log;
    this.connectTimeoutMs = connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** Listen on host:port (tcp-socket.ts listenTcp); the listener is ended by its close() or by closeAll(). */
  async listen(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Result<ClaListener>> {
    const r = await listenTcp(this.cla, host, port, this.log, onConnection);
    if (!r.ok) return r;
    const server = r.value;
    this.servers.add(server);
    return ok({
      cla: this.cla,
      address: server.address,
      close: async () => {
        this.servers.delete(server);
        await server.close();
      },
    });
  }

  /** Dial "host:port"; a failure is logged (cla.connect_failed), a socket is tracked until it closes. */
  async dial(hostPort: string): Promise<Result<Socket>> {
    const dialed = await dialTcp(hostPort, this.connectTimeoutMs);
    if (!dialed.ok) {
      this.log({ event: 'cla.connect_failed', cla: this.cla, remote: hostPort, error: dialed.error.code });
      return dialed;
    }
    this.dialed.add(dialed.value);
    return dialed;
  }

  /** Stop every listener and destroy every dialed socket still open. */
  async closeAll(): Promise<void> {
    await Promise.all([...[...this.servers].map((s) => s.close()), this.dialed.closeAll()]);
    this.servers.clear();
  }
}
