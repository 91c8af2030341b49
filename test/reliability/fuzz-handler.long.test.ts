// `npm run test:long`: the Lambda handler fuzzed with 100,000 hostile events (fuzz-handler.test.ts runs 1,000 in
// `npm test`).

import { fuzzHandler } from './fuzz-cases';

test('100,000 hostile events through the handler: no throw, every event accounted for, bounded logs and messages', async () => {
  await fuzzHandler(100_000);
});
