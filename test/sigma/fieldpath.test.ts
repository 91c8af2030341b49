import { collectValues, compilePath, fieldIsPresent, parseFieldPath, valuesAt } from '../../lambda/sigma/fieldpath';

const values = (root: unknown, field: string) => {
  const out: unknown[] = [];
  const present = collectValues(root, compilePath(field), out);
  return { present, out };
};

describe('parseFieldPath', () => {
  it('splits on dots and marks `{}` segments', () => {
    expect(parseFieldPath('data.details.response.body.shields{}')).toEqual([
      { key: 'data', each: false }, { key: 'details', each: false }, { key: 'response', each: false },
      { key: 'body', each: false }, { key: 'shields', each: true },
    ]);
    expect(parseFieldPath('log_id')).toEqual([{ key: 'log_id', each: false }]);
  });
});

describe('collectValues', () => {
  const event = {
    log_id: 'L1',
    data: {
      type: 'seccft',
      details: { request: { body: { enabled: false, count: 0 } } },
      scopes: ['read:users', 'update:users'],
      prompts: [{ name: 'login', stats: [{ ms: 1 }, { ms: 2 }] }, { name: 'mfa' }, 'plain'],
      'dotted.key': 'literal',
      nested: { 'a.b': { c: 'split1' } },
      'nested.a': { b: { c: 'split2' } },
      shields: ['block', 'admin_notification'],
      emptyList: [],
      nothing: null,
    },
  };

  it('follows a nested path', () => {
    expect(values(event, 'data.type')).toEqual({ present: true, out: ['seccft'] });
    expect(values(event, 'data.details.request.body.enabled')).toEqual({ present: true, out: [false] });
    expect(values(event, 'log_id').out).toEqual(['L1']);
  });

  it('reports a missing field or parent', () => {
    expect(values(event, 'data.nope')).toEqual({ present: false, out: [] });
    expect(values(event, 'data.nope.deeper')).toEqual({ present: false, out: [] });
    expect(values(event, 'data.type.length')).toEqual({ present: false, out: [] });
  });

  it('resolves literal keys containing dots, in any split', () => {
    expect(values(event, 'data.dotted.key').out).toEqual(['literal']);
    expect(values(event, 'data.nested.a.b.c').out.sort()).toEqual(['split1', 'split2']);
  });

  it('crosses arrays: the elements of a leaf array, and arrays in the middle of a path', () => {
    expect(values(event, 'data.scopes').out).toEqual(['read:users', 'update:users']);
    expect(values(event, 'data.prompts.name').out).toEqual(['login', 'mfa']);
    expect(values(event, 'data.prompts.stats.ms').out).toEqual([1, 2]);
  });

  it('`name{}` names the elements of an array, may repeat, and requires an array', () => {
    expect(values(event, 'data.shields{}').out).toEqual(['block', 'admin_notification']);
    expect(values(event, 'data.prompts{}.stats{}.ms').out).toEqual([1, 2]);
    expect(values(event, 'data.type{}')).toEqual({ present: false, out: [] });
    expect(values({ a: [[1, 2], [3]] }, 'a{}').out).toEqual([1, 2, 3]);
  });

  it('counts null and an empty array as present', () => {
    expect(values(event, 'data.nothing')).toEqual({ present: true, out: [null] });
    expect(values(event, 'data.emptyList')).toEqual({ present: true, out: [] });
    expect(values(event, 'data.emptyList{}')).toEqual({ present: true, out: [] });
    expect(fieldIsPresent(event, compilePath('data.emptyList'))).toBe(true);
    expect(fieldIsPresent(event, compilePath('data.absent'))).toBe(false);
  });

  it('follows own properties only: __proto__, constructor and toString do nothing strange', () => {
    expect(values(event, 'data.__proto__')).toEqual({ present: false, out: [] });
    expect(values(event, 'data.constructor')).toEqual({ present: false, out: [] });
    expect(values(event, 'data.toString')).toEqual({ present: false, out: [] });
    expect(values(event, 'data.constructor.prototype')).toEqual({ present: false, out: [] });
    expect(values(event, 'data.scopes.length')).toEqual({ present: false, out: [] });
    const hostile = JSON.parse('{"data":{"__proto__":{"polluted":"yes"},"constructor":"c"}}');
    expect(values(hostile, 'data.__proto__.polluted').out).toEqual(['yes']);
    expect(values(hostile, 'data.constructor').out).toEqual(['c']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('accepts bare segments as well as compiled paths', () => {
    const out: unknown[] = [];
    expect(collectValues(event, parseFieldPath('data.type'), out)).toBe(true);
    expect(out).toEqual(['seccft']);
    expect(valuesAt(event, 'data.scopes')).toEqual(['read:users', 'update:users']);
  });

  it('appends to the output array without clearing it (callers reuse one array)', () => {
    const out: unknown[] = ['before'];
    collectValues(event, compilePath('data.type'), out);
    expect(out).toEqual(['before', 'seccft']);
  });
});
