// The link-free and subject properties of link-free.test.ts with many more generated cases (`npm run test:long`).

import { checkNoLinks, checkSubjects } from './link-free-properties';

jest.setTimeout(600_000);

test('no SMS, email or chat text carries a clickable link built from event content (20,000 generated detections)', () => {
  checkNoLinks(20_000, 2026);
});

test('every SNS subject of every message kind is 1 to 99 printable ASCII characters (20,000 cases per kind)', () => {
  checkSubjects(20_000, 2027);
});
