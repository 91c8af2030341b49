// The 1,500-case run of the hostile-detection property (notification-hardening.test.ts runs the first 300 of the
// same seeded sequence in `npm test`).

import { assertHostileDetections } from './notification-hardening-cases';

test('hostile detections: subject, SMS, email and size bounds hold (1,500 cases)', () => {
  assertHostileDetections(1_500);
});
