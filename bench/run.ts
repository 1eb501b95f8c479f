/**
 * `npm run bench`: every benchmark suite, one JSON object per line on stdout:
 * {"name", "value", "unit", "baseline": {"name", "value", "unit"}}. Progress goes to stderr.
 * `npm run bench -- bpv7` runs the suites whose name contains "bpv7".
 */
import { printFigure, type Figure } from './measure';
import { suites } from './suites';

const filter = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const suite of suites) {
  if (filter.length > 0 && !filter.some((f) => suite.name.includes(f))) continue;
  process.stderr.write(`bench: ${suite.name}…\n`);
  const figures: Figure[] = await suite.run();
  for (const f of figures) printFigure(f);
}
