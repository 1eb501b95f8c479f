/**
 * What the processor's unit tests (bpa, forwarding, reassembly, reports) set up the same way: test
 * nodes on a fake network that are destroyed after each test, and a contact to a neighbour (the
 * integration tests use it too).
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
  return contactBetween(nodeId, claAddress, now - 1000, now + 3_600_000);
}

/** A contact to `nodeId` at `claAddress` from `start` to `end` (Unix ms), at an unlimited rate. */
export function contactBetween(nodeId: string, claAddress: string, start: number, end: number): PlanCommand {
  return {
    command: 'add',
    nodeId,
    claAddress,
    reachableEids: [],
    contacts: [{ start, end, rateBytesPerSec: 1_000_000_000, owltMs: 0, reachableEids: [] }],
  };
}
