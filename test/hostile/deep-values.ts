// Deeply nested values built iteratively (a recursive builder would itself overflow), as objects and as JSON
// text, and the rules the depth tests run.

export const DEPTHS = [6_000, 100_000];

/** `levels` arrays around `leaf`: [[[...leaf...]]]. */
export function deepArrays(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** `levels` objects {a: {a: ... leaf}}. */
export function deepObjects(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** The JSON text of deepArrays(levels, leaf), without building the value. */
export function deepArraysJson(levels: number, leafJson: string): string {
  return '['.repeat(levels) + leafJson + ']'.repeat(levels);
}

/** The JSON text of deepObjects(levels, leaf). */
export function deepObjectsJson(levels: number, leafJson: string): string {
  return '{"a":'.repeat(levels) + leafJson + '}'.repeat(levels);
}

const rule = (n: number, title: string, body: string, extra = ''): string => `title: ${title}
id: 00000000-0000-4000-8000-0000000000d${n}
status: test
level: medium
logsource: { product: auth0 }
${extra}detection:
${body}
`;

export const DEPTH_RULES = [
  rule(1, 'Unrelated rule', `  sel: { data.description: ok }
  condition: sel`, 'fields: [data.details.arrays, data.details.objects]\n'),
  rule(2, 'Keyword at the bottom of arrays', `  keywords: [needle-a]
  condition: keywords`),
  rule(3, 'Keyword at the bottom of objects', `  keywords: ['needle-o']
  condition: keywords`),
  rule(4, 'Path through nested arrays', `  sel: { data.details.arrays.x: needle-a }
  condition: sel`),
  rule(5, 'Regex through nested arrays', `  sel: { data.details.arrays.x|re: '^needle-.$' }
  condition: sel`),
].join('---\n');
