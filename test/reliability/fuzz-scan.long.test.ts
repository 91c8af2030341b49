// `npm run test:long`: scan's pipeline fuzzed with 100,000 hostile events (fuzz-scan.test.ts runs 2,000 in `npm test`).

import { fuzzScanPipeline } from './fuzz-cases';

test('100,000 hostile events through scan\'s normalize + match: no throw, each counted once, labels respected', () => {
  fuzzScanPipeline(100_000);
});
