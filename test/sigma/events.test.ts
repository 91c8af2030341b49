import { normalizeEvent } from '../../lambda/sigma/events';

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
  it('accepts a flat log inside an envelope', () => {
    expect(normalizeEvent({ 'detail-type': 'x', detail: { log_id: 'L5', type: 's' } })).toEqual({ event: { log_id: 'L5', data: { log_id: 'L5', type: 's' } } });
  });
  it.each([
    [null, /not a JSON object \(got null\)/],
    ['text', /not a JSON object \(got a string\)/],
    [[{ data }], /not a JSON object \(got an array\)/],
    [{ log_id: 'x', data: 'nope' }, /data is not an object/],
    [{ data: { date: 'x' } }, /data\.type is missing/],
    [{ data: { type: 5 } }, /data\.type is missing or not a string/],
    [{ type: 7 }, /type is not a string/],
    [{ hello: 'world' }, /no data object and no top-level type/],
    [{ 'detail-type': 'x', detail: 'str' }, /detail is not an object/],
    [{ 'detail-type': 'x', detail: { foo: 1 } }, /detail has no data object/],
  ])('rejects %j with a short reason', (raw, reason) => {
    const result = normalizeEvent(raw);
    expect('error' in result && result.error).toMatch(reason);
  });
  it('never puts event content in the error', () => {
    const result = normalizeEvent({ data: { type: 42, secret: 'hunter2' } });
    expect(JSON.stringify(result)).not.toMatch(/hunter2|42/);
  });
});
