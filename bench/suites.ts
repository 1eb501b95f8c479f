/** The benchmark suites `npm run bench` runs, in order. */
import { bpaSuite } from './bpa.bench';
import { bpv7Suite } from './bpv7.bench';
import { gatewaySuite } from './gateway.bench';
import type { Figure } from './measure';

export interface Suite {
  readonly name: string;
  run(): Promise<Figure[]>;
}

export const suites: readonly Suite[] = [bpv7Suite, bpaSuite, gatewaySuite];
