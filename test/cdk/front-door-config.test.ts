// Deployment configuration a newcomer gets wrong first: a stack that notifies nobody, and cdk.json's feature flags.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, readConfig } from '../../lib/config';

const REPO = path.resolve(__dirname, '../..');
const SOURCE = 'aws.partner/auth0.com/acme-1234/auth0.logs';

function problems(context: Record<string, unknown>): string[] {
  try {
    readConfig((key) => context[key], Object.keys(context));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('someone must be notified', () => {
  test('no alertEmails, alertPhoneNumbers or alarmEmails: an error that shows the fix', () => {
    const found = problems({ auth0EventSourceName: SOURCE });
    expect(found).toEqual([expect.stringMatching(/^nobody is notified: no 'alertEmails', 'alertPhoneNumbers' or 'alarmEmails'/)]);
    expect(found[0]).toContain('-c alertEmails=secops@example.com -c alarmEmails=platform@example.com');
    expect(found[0]).toContain('-c notify=none');
  });

  test('any one recipient is enough', () => {
    expect(problems({ auth0EventSourceName: SOURCE, alertEmails: 'sec@example.com' })).toEqual([]);
    expect(problems({ auth0EventSourceName: SOURCE, alertPhoneNumbers: '+14155550100' })).toEqual([]);
    expect(problems({ auth0EventSourceName: SOURCE, alarmEmails: ['ops@example.com'] })).toEqual([]);
  });

  test('-c notify=none says it on purpose (detections only on the EventBridge bus); other values are refused', () => {
    expect(problems({ auth0EventSourceName: SOURCE, notify: 'none' })).toEqual([]);
    expect(problems({ auth0EventSourceName: SOURCE, notify: 'NONE' })).toEqual([]);
    expect(problems({ auth0EventSourceName: SOURCE, notify: 'email' })).toEqual([expect.stringMatching(/^'notify': 'email' is not understood: the only value is 'none'/)]);
    expect(problems({ auth0EventSourceName: SOURCE, notfy: 'none' })).toEqual(
      expect.arrayContaining(["unknown key 'notfy': did you mean 'notify'?"]),
    );
  });

  test('with no destination at all, one problem says so (not two)', () => {
    expect(problems({ auth0EventSourceName: SOURCE, detectionBus: 'none' })).toEqual([expect.stringMatching(/^no destination: /)]);
  });
});

test("cdk.json sets the installed aws-cdk-lib's recommended feature flags (what `cdk init` writes)", () => {
  const recommended = JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8')) as Record<string, unknown>;
  const context = (JSON.parse(fs.readFileSync(path.join(REPO, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const missingOrDifferent = Object.entries(recommended)
    .filter(([flag, value]) => JSON.stringify(context[flag]) !== JSON.stringify(value))
    .map(([flag]) => flag);
  // After an aws-cdk-lib upgrade: copy the new flags into cdk.json, and check `cdk diff` for replaced resources.
  expect(missingOrDifferent).toEqual([]);
});
