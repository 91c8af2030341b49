import { buildDetection } from '../../lambda/sigma/detection';
import { RuleMatch } from '../../lambda/sigma/ruleset';
import { RuleModel } from '../../lambda/sigma/types';

const loc = { file: 'rules/t.yml', line: 1, col: 1 };
const rule: RuleModel = {
  kind: 'detection', id: 'r1', idDerived: false, title: 'Token copied', level: 'high', tags: ['attack.t1528'],
  falsepositives: ['admins'], references: [], fields: ['data.user_name', 'data.details.scopes', 'data.missing', 'data.nothing'],
  meta: { description: 'd', prevention: ['p1'], splunk: 'index=auth0' }, file: 'rules/t.yml', line: 1, docIndex: 0,
  alerts: true, placeholders: [],
  detection: { identifiers: {}, conditionText: ['selection'], condition: { op: 'id', name: 'selection' }, conditionLoc: loc },
};

describe('buildDetection', () => {
  const match: RuleMatch = { rule, matched: ['selection'] };
  const data = {
    date: '2025-07-11T10:00:00.000Z', type: 'seccft', user_id: 'auth0|1', user_name: 'ann@example.org', ip: '203.0.113.7',
    client_id: 'abc', client_name: 'API Explorer Application', details: { scopes: ['read:users', 'delete:users'] }, nothing: null,
  };

  it('carries the rule summary with its meta, the top fields and the matched identifiers', () => {
    const d = buildDetection(match, { log_id: 'L1', data });
    expect(d).toEqual({
      rule: { id: 'r1', title: 'Token copied', level: 'high', tags: ['attack.t1528'], meta: rule.meta },
      log_id: 'L1', date: data.date, type: 'seccft', user_id: 'auth0|1', user_name: 'ann@example.org', ip: '203.0.113.7',
      client_id: 'abc', client_name: 'API Explorer Application', matched: ['selection'],
      field_values: { 'data.user_name': 'ann@example.org', 'data.details.scopes': ['read:users', 'delete:users'], 'data.nothing': null },
    });
  });
  it('copies only string-typed top fields and omits missing ones', () => {
    const d = buildDetection(match, { data: { type: 's', ip: { v4: '1.2.3.4' }, user_id: 12, user_name: null } });
    expect(d.type).toBe('s');
    expect('ip' in d).toBe(false);
    expect('user_id' in d).toBe(false);
    expect('user_name' in d).toBe(false);
    expect('log_id' in d).toBe(false);
  });
  it('does not share arrays with the match (callers may mutate the detection)', () => {
    const d = buildDetection(match, { data });
    d.matched!.push('other');
    d.rule.tags.push('x');
    expect(match.matched).toEqual(['selection']);
    expect(rule.tags).toEqual(['attack.t1528']);
  });
  it('omits field_values when the rule lists no fields', () => {
    expect('field_values' in buildDetection({ rule: { ...rule, fields: [] }, matched: [] }, { data })).toBe(false);
  });
});
