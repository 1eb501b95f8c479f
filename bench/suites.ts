/** The benchmark suites `npm run bench` runs, in order. */
import type { Figure } from './measure';

export interface Suite {
  readonly name: string;
  run(): Promise<Figure[]>;
}

export const suites: readonly Suite[] = [];
