import { normalizeEvent } from '../../lambda/sigma/events';
import { loadRulesFromText } from '../../lambda/sigma/loader';
import { CompiledRuleSet } from '../../lambda/sigma/ruleset';

describe('normalizeEvent', () => {
  const data = { date: '2025-07-11T10:00:00.000Z', type: 'seccft', client_id: 'abc', log_id: 'L-data' };

  it('keeps the log-stream shape { log_id, data }', () => {
    expect(normalizeEvent({ log_id: 'L1', data })).toEqual({ event: { log_id: 'L1', data } });
  });
  it('takes log_id from data when the top level has none', () => {
    expect(normalizeEvent({ data })).toEqual({ event: { log_id: 'L-data', data } });
    expect(normalizeEvent({ data: { type: 's' } })).toEqual({ event: { data: { type: 's' } } });
  });
  it('unwraps an EventBridge envelope', () => {
    const envelope = { version: '0', 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/t/1', detail: { log_id: 'L2', data } };
    expect(normalizeEvent(envelope)).toEqual({ event: { log_id: 'L2', data } });
  });
  it('turns a flat Management API log object into data', () => {
    const flat = { _id: 'L3', date: '2025-07-11T10:00:00.000Z', type: 'fp', ip: '1.2.3.4' };
    expect(normalizeEvent(flat)).toEqual({ event: { log_id: 'L3', data: flat } });
    const withLogId = { log_id: 'L4', type: 'fp' };
    expect(normalizeEvent(withLogId)).toEqual({ event: { log_id: 'L4', data: withLogId } });
    expect(normalizeEvent({ type: 'fp' })).toEqual({ event: { data: { type: 'fp' } } });
  });
  it('evaluates an event whose data.type is missing or not a string (it matches no type-keyed rule)', () => {
    expect(normalizeEvent({ data: { date: 'x' } })).toEqual({ event: { data: { date: 'x' } } });
    expect(normalizeEvent({ log_id: 'L6', data: { type: 5 } })).toEqual({ event: { log_id: 'L6', data: { type: 5 } } });
    expect(normalizeEvent({ type: 7, _id: 'L7' })).toEqual({ event: { log_id: 'L7', data: { type: 7, _id: 'L7' } } });
    expect(normalizeEvent({ hello: 'world' })).toEqual({ event: { data: { hello: 'world' } } });
    // A non-object `data` is not the log-stream shape: the object is a flat log.
    expect(normalizeEvent({ log_id: 'x', data: 'nope' })).toEqual({ event: { log_id: 'x', data: { log_id: 'x', data: 'nope' } } });
    const envelope = { 'detail-type': 'Auth0 log', source: 'aws.partner/auth0.com/t/1', detail: { log_id: 'L8', data: { ip: '192.0.2.1' } } };
    expect(normalizeEvent(envelope)).toEqual({ event: { log_id: 'L8', data: { ip: '192.0.2.1' } } });
  });
  it('refuses an EventBridge event whose detail is not {log_id, data}: the bus rule never forwards it', () => {
    const flatDetail = normalizeEvent({ 'detail-type': 'x', detail: { log_id: 'L5', type: 's' } });
    expect('error' in flatDetail && flatDetail.error).toMatch(/detail has no data object .*partner event source sends detail \{log_id, data\}/);
  });
  it.each([
    [null, /not a JSON object \(got null\)/],
    ['text', /not a JSON object \(got a string\)/],
    [42, /not a JSON object \(got a number\)/],
    [[{ data }], /not a JSON object \(got an array\)/],
    [{ 'detail-type': 'x', detail: 'str' }, /detail is not an object/],
    [{ 'detail-type': 'x', detail: { foo: 1 } }, /detail has no data object/],
  ])('rejects %j with a short reason', (raw, reason) => {
    const result = normalizeEvent(raw);
    expect('error' in result && result.error).toMatch(reason);
  });
  it('never puts event content in the error', () => {
    const result = normalizeEvent({ source: 's', detail: { type: 42, secret: 'hunter2' } });
    expect('error' in result).toBe(true);
    expect(JSON.stringify(result)).not.toMatch(/hunter2|42/);
  });
});

describe('events without a string data.type through the engine', () => {
  const text = [
    'title: by ip', 'id: 11111111-1111-4111-8111-111111111111', 'logsource: {product: auth0}', 'level: low',
    'detection: {sel: {data.ip: 192.0.2.1}, condition: sel}',
    '---',
    'title: by type', 'id: 22222222-2222-4222-8222-222222222222', 'logsource: {product: auth0}', 'level: low',
    'detection: {sel: {data.type: s, data.ip: 192.0.2.1}, condition: sel}',
    '---',
    'title: untyped', 'id: 33333333-3333-4333-8333-333333333333', 'logsource: {product: auth0}', 'level: low',
    'detection: {sel: {data.type: null, data.ip: 192.0.2.1}, condition: sel}',
  ].join('\n');
  const loaded = loadRulesFromText([{ file: 'untyped.yml', text }]);
  const ruleSet = new CompiledRuleSet(loaded.model);
  const titles = (raw: unknown): string[] => {
    const n = normalizeEvent(raw);
    if ('error' in n) throw new Error(n.error);
    return ruleSet.match(n.event).map((m) => m.rule.title).sort();
  };

  it('matches the rules that do not need a type, and no type-keyed rule', () => {
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(titles({ data: { ip: '192.0.2.1' } })).toEqual(['by ip', 'untyped']);
    expect(titles({ data: { ip: '192.0.2.1', type: 5 } })).toEqual(['by ip']);
    expect(titles({ data: { ip: '192.0.2.1', type: 's' } })).toEqual(['by ip', 'by type']);
  });
});
