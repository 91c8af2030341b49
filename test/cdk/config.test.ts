// Configuration: every context key, its defaults, and errors that say what is wrong and how to fix it.

import * as path from 'node:path';
import { ConfigError, levelsAtOrAbove, readConfig } from '../../lib/config';
import { loadDeployRules } from '../../lib/rules-artifact';

const SOURCE = 'aws.partner/auth0.com/acme-1234/auth0.logs';

function read(context: Record<string, unknown>) {
  return readConfig((key) => context[key]);
}

function problems(context: Record<string, unknown>): string[] {
  try {
    read(context);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

test('the minimal configuration gets the documented defaults', () => {
  expect(read({ auth0EventSourceName: SOURCE, alertEmails: 'sec@example.com' })).toEqual({
    source: { kind: 'partner', eventSourceName: SOURCE },
    alertEmails: ['sec@example.com'],
    alertPhoneNumbers: [],
    emailMinLevel: 'low',
    smsMinLevel: 'high',
    minLevel: 'informational',
    placeholders: {},
    rulesDir: ['rules'],
    detectionBus: 'default',
    auth0Domain: undefined,
    logRetentionDays: 90,
    alarmEmails: [],
    reservedConcurrency: undefined,
    prefilter: true,
  });
});

test('-c strings: comma-separated lists, JSON lists, JSON placeholders, numbers as strings', () => {
  const config = read({
    eventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/auth0',
    alertEmails: 'a@example.com, b@example.com;a@example.com',
    alertPhoneNumbers: '["+14155550100", "+61412345678"]',
    emailMinLevel: 'MEDIUM',
    smsMinLevel: 'critical',
    minLevel: 'low',
    placeholders: '{"api_explorer_client_id":"abc","admins":["x","y"],"n":5}',
    detectionBus: 'none',
    auth0Domain: 'https://Acme.EU.auth0.com/',
    logRetentionDays: '30',
    alarmEmails: ['ops@example.com'],
    reservedConcurrency: '10',
  });
  expect(config).toMatchObject({
    source: { kind: 'busArn', eventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/auth0' },
    alertEmails: ['a@example.com', 'b@example.com'],
    alertPhoneNumbers: ['+14155550100', '+61412345678'],
    emailMinLevel: 'medium',
    smsMinLevel: 'critical',
    minLevel: 'low',
    placeholders: { api_explorer_client_id: 'abc', admins: ['x', 'y'], n: '5' },
    detectionBus: null,
    auth0Domain: 'acme.eu.auth0.com',
    logRetentionDays: 30,
    alarmEmails: ['ops@example.com'],
    reservedConcurrency: 10,
  });
});

test('cdk.json values (JSON types) are accepted too', () => {
  expect(read({ eventBusName: 'auth0-logs', alertEmails: ['s@example.com'], placeholders: { a: 'b' }, logRetentionDays: 365 })).toMatchObject({
    source: { kind: 'busName', eventBusName: 'auth0-logs' },
    placeholders: { a: 'b' },
    logRetentionDays: 365,
  });
});

test('a missing event source says how to find it', () => {
  const [problem] = problems({ alertEmails: 'sec@example.com' });
  expect(problem).toMatch(/'auth0EventSourceName' is missing/);
  expect(problem).toContain('aws events list-event-sources --name-prefix aws.partner/auth0.com');
  expect(problem).toContain('EventBridge console');
});

test('every problem is reported at once, each with its fix', () => {
  const found = problems({
    auth0EventSourceName: 'auth0.logs',
    alertEmails: 'sec@example,ok@example.com',
    alertPhoneNumbers: '+1 415 555 0100,0412345678',
    emailMinLevel: 'severe',
    placeholders: '{api_explorer_client_id: abc}',
    auth0Domain: 'login.acme.com',
    logRetentionDays: '42',
    detectionBus: 'arn:aws:sns:x',
    reservedConcurrency: '0',
  });
  expect(found).toHaveLength(10);
  const text = found.join('\n');
  expect(text).toContain("'auth0EventSourceName': 'auth0.logs' is not an Auth0 partner event source name");
  expect(text).toContain("'alertEmails': 'sec@example' is not an email address");
  expect(text).toContain("'alertPhoneNumbers': '+1 415 555 0100' is not an E.164 phone number (did you mean +14155550100?)");
  expect(text).toContain("'alertPhoneNumbers': '0412345678' is not an E.164 phone number: write '+', the country code");
  expect(text).toContain("'emailMinLevel': 'severe' is not a Sigma level: use one of informational, low, medium, high, critical");
  expect(text).toMatch(/'placeholders' is not valid JSON .*-c placeholders='\{"api_explorer_client_id":"AbC123"\}'/);
  expect(text).toContain("'auth0Domain': 'login.acme.com' is not an Auth0 tenant domain");
  expect(text).toContain("'logRetentionDays': 42 is not a retention CloudWatch Logs accepts: use one of 1, 3, 5");
  expect(text).toContain("'detectionBus': 'arn:aws:sns:x' is neither an event bus name nor an event bus ARN");
  expect(text).toContain("'reservedConcurrency': 0 must be between 1 and 1000");
});

test('the error message lists the problems under a heading', () => {
  expect(() => read({})).toThrow(/^Invalid deployment configuration \(cdk.json "context" or -c key=value\):\n {2}- 'auth0EventSourceName' is missing/);
});

test('only one event source may be given', () => {
  expect(problems({ auth0EventSourceName: SOURCE, eventBusName: 'x', alertEmails: 'a@example.com' })).toEqual([
    "set only one of 'auth0EventSourceName', 'eventBusName' and 'eventBusArn'",
  ]);
});

test('placeholder values must be strings or lists of strings', () => {
  expect(problems({ auth0EventSourceName: SOURCE, alertEmails: 'a@example.com', placeholders: { ok: 'x', bad: { nested: 1 }, '1x': 'y', empty: [] } })).toEqual([
    `'placeholders': the value of 'bad' must be a string or a non-empty list of strings, got {"nested":1}`,
    "'placeholders': '1x' is not a placeholder name (a letter or _ followed by letters, digits, _ . -)",
    "'placeholders': the value of 'empty' must be a string or a non-empty list of strings, got []",
  ]);
});

test('a deployment with no destination at all is refused', () => {
  expect(problems({ auth0EventSourceName: SOURCE, detectionBus: 'none' })).toEqual([
    expect.stringMatching(/^no destination: set 'alertEmails' or 'alertPhoneNumbers'/),
  ]);
});

test('levelsAtOrAbove gives the subscription filter allowlists', () => {
  expect(levelsAtOrAbove('high')).toEqual(['high', 'critical']);
  expect(levelsAtOrAbove('informational')).toHaveLength(5);
});

test('a misspelt key is an error, not silently ignored; unrelated keys are left alone', () => {
  const context = { auth0EventSourceName: SOURCE, alertEmail: 'sec@example.com', alertEmails: 'a@example.com', '@aws-cdk/core:newStyleStackSynthesis': true, myOwnKey: 1 };
  expect(() => readConfig((key) => (context as Record<string, unknown>)[key], Object.keys(context))).toThrow(
    /unknown key 'alertEmail': did you mean 'alertEmails'\?/,
  );
  const fine = { auth0EventSourceName: SOURCE, alertEmails: 'a@example.com', '@aws-cdk/core:newStyleStackSynthesis': true, myOwnKey: 1 };
  expect(readConfig((key) => (fine as Record<string, unknown>)[key], Object.keys(fine)).alertEmails).toEqual(['a@example.com']);
});

test('regexValueCap reaches the engine options of the deployed rule set, and a bad one is refused', () => {
  const base = { auth0EventSourceName: SOURCE, alertEmails: 'a@example.com' };
  expect(read(base).regexValueCap).toBeUndefined();
  expect(read({ ...base, regexValueCap: '1024' }).regexValueCap).toBe(1024);
  expect(problems({ ...base, regexValueCap: '8' })).toEqual([expect.stringContaining("'regexValueCap': 8 must be between 16 and 1048576")]);
  expect(problems({ ...base, regexValueCap: 'big' })).toEqual(["'regexValueCap': 'big' is not a whole number"]);
  const rules = loadDeployRules({ rulesDir: 'rules', placeholders: { api_explorer_client_id: 'x' }, minLevel: 'informational', root: path.resolve(__dirname, '../..'), regexValueCap: 1024 });
  expect(rules.model.options.regexValueCap).toBe(1024);
});
