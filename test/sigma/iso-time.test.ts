import fc from 'fast-check';
import { parseIsoTime } from '../../lambda/sigma/iso-time';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

describe('parseIsoTime', () => {
  it('equals Date.parse on the shapes it reads itself, edge values included', () => {
    const cases = [
      '2026-11-01T00:00:52.700Z', '2026-11-01T00:00:52Z', '2026-02-30T00:00:00Z', '2026-02-31T23:59:59.999Z',
      '2024-02-29T12:00:00Z', '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59Z', '1000-01-01T00:00:00Z',
      '0099-01-01T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-00T00:00:00Z',
      '2026-01-32T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T23:59:60Z',
      '2026-1a-01T00:00:00Z', '2026-11-01T00:00:52.7Z', '2026-11-01T00:00:52,700Z', '2026-11-01 00:00:52Z',
      '2026-11-01T00:00:52.700', '2026-11-01T00:00:52+00:00', '+002026-11-01T00:00:52Z', '2026-11-01', '',
      'not a date', '2026-11-01T00:00:52.-70Z',
    ];
    for (const text of cases) expect([text, parseIsoTime(text)]).toEqual([text, Date.parse(text)]);
  });

  it('equals Date.parse on generated dates (valid and out of range parts)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 33 }),
        fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }),
        fc.option(fc.integer({ min: 0, max: 999 })),
        (y, mo, d, h, mi, s, ms) => {
          const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${ms === null ? '' : `.${pad(ms, 3)}`}Z`;
          expect(parseIsoTime(text)).toEqual(Date.parse(text));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
