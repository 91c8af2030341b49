// The channel keys of the deployment configuration (docs/channels.md): defaults, valid values, and a fix-it
// message naming the key for every kind of mistake, reported together with the other keys' problems.

import { CHANNEL_CONTEXT_KEYS, DEFAULT_CHANNEL_CONFIG, readChannelConfig } from '../../lib/channel-config';
import { ConfigError, readConfig } from '../../lib/config';

const SOURCE = 'aws.partner/auth0.com/acme-1234/auth0.logs';

function channels(context: Record<string, unknown>) {
  const problems: string[] = [];
  const config = readChannelConfig((key) => context[key], problems);
  return { config, problems };
}

function problemsOf(context: Record<string, unknown>): string[] {
  try {
    readConfig((key) => context[key], Object.keys(context));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

test('defaults: the dashboard only', () => {
  expect(channels({})).toEqual({ config: DEFAULT_CHANNEL_CONFIG, problems: [] });
  expect(DEFAULT_CHANNEL_CONFIG).toEqual({ dashboard: true, securityHub: false, securityHubMinLevel: 'low', chatMinLevel: 'medium' });
});

test('a configuration without channel keys has no `channels` entry (today\'s configuration is unchanged)', () => {
  expect(readConfig((key) => ({ auth0EventSourceName: SOURCE, alertEmails: 'a@example.com' } as Record<string, unknown>)[key]).channels).toBeUndefined();
});

test('every channel on, from -c strings and from cdk.json values', () => {
  const fromStrings = channels({
    dashboard: 'ops-board', securityHub: 'TRUE', securityHubMinLevel: 'High', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD',
    teamsTeamId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0', teamsChannelId: '19%3a0123abc%40thread.tacv2', teamsTenantId: 'aa11bb22-cc33-dd44-ee55-ff6677889900',
    chatMinLevel: 'critical',
  });
  expect(fromStrings).toEqual({
    problems: [],
    config: {
      dashboard: 'ops-board', securityHub: true, securityHubMinLevel: 'high', chatMinLevel: 'critical',
      slack: { workspaceId: 'T0123ABCD', channelId: 'C0123ABCD' },
      teams: { teamId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0', channelId: '19%3a0123abc%40thread.tacv2', tenantId: 'aa11bb22-cc33-dd44-ee55-ff6677889900' },
    },
  });
  expect(channels({ dashboard: false, securityHub: true }).config).toMatchObject({ dashboard: false, securityHub: true });
});

test('a Teams channel id pasted decoded (19:...@thread.tacv2) is encoded as AWS expects', () => {
  const { config, problems } = channels({
    teamsTeamId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0', teamsChannelId: '19:0123abc@thread.tacv2', teamsTenantId: 'aa11bb22-cc33-dd44-ee55-ff6677889900',
  });
  expect(problems).toEqual([]);
  expect(config.teams?.channelId).toBe('19%3A0123abc%40thread.tacv2');
});

test('mistakes are reported with the key and how to fix it', () => {
  const { problems } = channels({
    dashboard: 'my dashboard!',
    securityHub: 'yes',
    slackWorkspaceId: 'acme.slack.com',
    slackChannelId: '#security',
    teamsTeamId: 'team-a',
    teamsChannelId: 'General',
    teamsTenantId: 'aa11bb22-cc33-dd44-ee55-ff6677889900',
    chatMinLevel: 'urgent',
  });
  expect(problems).toEqual([
    expect.stringMatching(/^'dashboard': 'my dashboard!' is neither true, false nor a dashboard name.*e\.g\. my-dashboard-/),
    expect.stringMatching(/^'securityHub': 'yes' is not a boolean: write true/),
    expect.stringMatching(/^'slackWorkspaceId': 'acme\.slack\.com' is not a Slack workspace id .*T0123ABCD/),
    expect.stringMatching(/^'slackChannelId': '#security' is not a Slack channel id \('#security' is a channel name; the id is different\)/),
    expect.stringMatching(/^'teamsTeamId': 'team-a' is not a GUID .*groupId=/),
    expect.stringMatching(/^'teamsChannelId': 'General' is not a Teams channel id \(19%3a<id>%40thread\.tacv2\)/),
    expect.stringMatching(/^'chatMinLevel': 'urgent' is not a Sigma level: use one of informational, low, medium, high, critical/),
  ]);
});

test('half a channel, or a level for a channel that is off, is refused', () => {
  expect(channels({ slackChannelId: 'C0123ABCD' }).problems).toEqual([expect.stringMatching(/^Slack needs both 'slackWorkspaceId' and 'slackChannelId' \(slackWorkspaceId is missing\)/)]);
  expect(channels({ teamsTeamId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0' }).problems).toEqual([expect.stringMatching(/missing: teamsChannelId, teamsTenantId/)]);
  expect(channels({ securityHubMinLevel: 'high' }).problems).toEqual([expect.stringMatching(/^'securityHubMinLevel' is set but 'securityHub' is not true/)]);
  expect(channels({ chatMinLevel: 'high' }).problems).toEqual([expect.stringMatching(/^'chatMinLevel' is set but no chat channel is/)]);
});

test('through readConfig: channel problems come with the others, and typos of channel keys are caught', () => {
  const problems = problemsOf({ auth0EventSourceName: SOURCE, alertEmails: 'not-an-email', securityHub: 'maybe', slackChanelId: 'C1' });
  expect(problems).toEqual(expect.arrayContaining([
    "unknown key 'slackChanelId': did you mean 'slackChannelId'?",
    expect.stringMatching(/^'alertEmails'/),
    expect.stringMatching(/^'securityHub'/),
  ]));
  for (const key of CHANNEL_CONTEXT_KEYS) expect(problemsOf({ [key]: '' , auth0EventSourceName: 'bad' }).some((p) => p.includes(`unknown key '${key}'`))).toBe(false);
});

test('Security Hub or a chat channel alone is a destination (Security Hub is no person: it needs notify=none)', () => {
  const base = { auth0EventSourceName: SOURCE, detectionBus: 'none' };
  expect(problemsOf(base)).toEqual([expect.stringMatching(/^no destination: .*'securityHub' or a chat channel/)]);
  expect(problemsOf({ ...base, securityHub: 'true' })).toEqual([expect.stringMatching(/^nobody is notified/)]);
  expect(readConfig((key) => ({ ...base, securityHub: 'true', notify: 'none' } as Record<string, unknown>)[key]).channels?.securityHub).toBe(true);
  expect(readConfig((key) => ({ ...base, slackWorkspaceId: 'T1', slackChannelId: 'C1' } as Record<string, unknown>)[key]).channels?.slack).toEqual({ workspaceId: 'T1', channelId: 'C1' });
});
