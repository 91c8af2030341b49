// `npm run test:long`: 1,000 mutated rule files through the loader (fuzz-rules.test.ts runs 200 in `npm test`).

import { mutatedRuleFiles } from './fuzz-rules-cases';

test('1,000 mutated rule files: located diagnostics, no throw, no hang, no silent loss', () => {
  mutatedRuleFiles(1_000);
});
