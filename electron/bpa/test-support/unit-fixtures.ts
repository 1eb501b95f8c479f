/**
 * What the processor's unit tests (bpa, forwarding, reassembly, reports) set up the same way: test
 * nodes on a fake network that are destroyed after each test, and an open contact to a neighbour.
 */
import { afterEach } from 'vitest';
import type { PlanCommand } from '../router/types';
import type { FakeNetwork } from './fake-network';
import { startTestNode, type TestNode, type TestNodeOptions } from './test-node';

export interface TestNodes {
  /** Start a node that is destroyed after the test. */
  node(nodeId: string, network: FakeNetwork, address: string, extra?: Partial<TestNodeOptions>): Promise<TestNode>;
  /** Destroy after the test a node started otherwise (a restart, startTestNode with its own directory). */
  keep(n: TestNode): void;
}

/** Call at the top of a test file: every node it starts or keeps is destroyed after each test. */
export function testNodes(): TestNodes {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.destroy();
  });
  return {
    async node(nodeId, network, address, extra = {}) {
      const n = await startTestNode({ nodeId, network, address, ...extra });
      nodes.push(n);
      return n;
    },
    keep(n) {
      nodes.push(n);
    },
  };
}

/** A contact to `nodeId` at `claAddress` from a second before `now` for an hour, at an unlimited rate. */
export function contactTo(nodeId: string, claAddress: string, now: number = Date.now()): PlanCommand {
  return {
    command: 'add',
    nodeId,
    claAddress,
    reachableEids: [],
    contacts: [{ start: now - 1000, end: now + 3_600_000, rateBytesPerSec: 1_000_000_000, owltMs: 0, reachableEids: [] }],
  };
}
