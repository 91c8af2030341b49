import { compileSearch, compileSearchNode, searchFields } from '../../lambda/sigma/matcher';
import { DEFAULT_ENGINE_OPTIONS, FieldItem, Scalar, SearchNode, ValueModifier } from '../../lambda/sigma/types';

const loc = { file: 'rules/t.yml', line: 1, col: 1 };
const field = (spec: string, ...values: Scalar[]): FieldItem => {
  const [name, ...mods] = spec.split('|');
  return { field: name === '' ? null : name, modifiers: mods as ValueModifier[], values, loc };
};
const map = (...items: FieldItem[]): SearchNode => ({ kind: 'map', items, loc });
const anyOf = (...alternatives: SearchNode[]): SearchNode => ({ kind: 'anyOf', alternatives, loc });
const keywords = (item: FieldItem): SearchNode => ({ kind: 'keywords', item, loc });
const test = (node: SearchNode, data: Record<string, unknown>) => compileSearch(node, DEFAULT_ENGINE_OPTIONS)({ log_id: 'L', data });

describe('compileSearch', () => {
  const selection = map(field('data.type', 'seccft'), field('data.client_id', 'abc'));
  it('a map is the AND of its items', () => {
    expect(test(selection, { type: 'seccft', client_id: 'ABC' })).toBe(true);
    expect(test(selection, { type: 'seccft', client_id: 'abd' })).toBe(false);
    expect(test(selection, { type: 'fapi', client_id: 'abc' })).toBe(false);
    expect(test(selection, { type: 'seccft' })).toBe(false);
  });
  it('a list of maps is the OR of its alternatives', () => {
    const node = anyOf(map(field('data.type', 'a')), map(field('data.type', 'b'), field('data.x', '1')));
    expect(test(node, { type: 'a' })).toBe(true);
    expect(test(node, { type: 'b', x: 1 })).toBe(true);
    expect(test(node, { type: 'b', x: 2 })).toBe(false);
    expect(test(node, { type: 'c', x: 1 })).toBe(false);
  });
  it('a list value ORs within one item', () => {
    expect(test(map(field('data.type', 'a', 'b', 'c')), { type: 'c' })).toBe(true);
    expect(test(map(field('data.type', 'a', 'b', 'c')), { type: 'd' })).toBe(false);
  });
  it('items of one map may be satisfied by different array elements', () => {
    const node = map(field('data.prompts.name', 'login'), field('data.prompts.flow', 'mfa'));
    const data = { prompts: [{ name: 'login', flow: 'universal' }, { name: 'other', flow: 'mfa' }] };
    expect(test(node, data)).toBe(true);
    expect(test(node, { prompts: [{ name: 'login', flow: 'universal' }] })).toBe(false);
  });
  it('keyword lists search every value', () => {
    expect(test(keywords(field('', 'evil', 'bad')), { type: 'x', details: { note: 'very BAD thing' } })).toBe(true);
    expect(test(keywords(field('', 'evil', 'bad')), { type: 'x', details: { note: 'fine' } })).toBe(false);
  });
  it('lists the fields a search reads, fieldref targets included', () => {
    const node = anyOf(map(field('data.type', 'a'), field('data.user_name|fieldref', 'data.details.target')), map(field('data.type', 'b')));
    expect(searchFields(compileSearchNode(node, DEFAULT_ENGINE_OPTIONS))).toEqual(['data.type', 'data.user_name', 'data.details.target']);
  });
});
