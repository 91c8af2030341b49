// `describe`, or `describe.skip` with a message saying why, when ../shared (Auth0's catalog, the corpus generator)
// is absent, as it is in a user's clone.

import { CATALOG, GENERATOR, HAVE_CATALOG } from '../../scripts/bench/prefilter-goal';

export function describeWithCatalog(): jest.Describe {
  if (HAVE_CATALOG) return describe;
  // eslint-disable-next-line no-console
  console.warn(`skipping the published-catalog tests: ${CATALOG} or ${GENERATOR} is absent (clone github.com/auth0/auth0-customer-detections there to run them)`);
  return describe.skip;
}
