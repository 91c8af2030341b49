// The configuration of the extra detection channels (docs/channels.md): the CloudWatch dashboard, AWS Security Hub
// findings, and chat (Slack, Microsoft Teams) through AWS Chatbot. Read from the same context as lib/config.ts,
// which calls `readChannelConfig` and reports its problems with the others (every problem at once, each naming
// the key and how to fix it).

import { SIGMA_LEVELS, type Level } from '../lambda/sigma/types';

export interface SlackChannel {
  workspaceId: string;
  channelId: string;
}

export interface TeamsChannel {
  teamId: string;
  channelId: string;
  tenantId: string;
}

export interface ChannelConfig {
  /** The CloudWatch dashboard: on (true), off (false) or on with this name. */
  dashboard: boolean | string;
  /** One Security Hub finding per detection at or above `securityHubMinLevel`. */
  securityHub: boolean;
  securityHubMinLevel: Level;
  slack?: SlackChannel;
  teams?: TeamsChannel;
  /** Detections at or above this level are posted to the chat channels. */
  chatMinLevel: Level;
}

export const CHANNEL_CONTEXT_KEYS = [
  'dashboard', 'securityHub', 'securityHubMinLevel', 'slackWorkspaceId', 'slackChannelId',
  'teamsTeamId', 'teamsChannelId', 'teamsTenantId', 'chatMinLevel',
] as const;

export const CHANNEL_DEFAULTS = {
  dashboard: true,
  securityHub: false,
  securityHubMinLevel: 'low' as Level,
  chatMinLevel: 'medium' as Level,
};

// CloudWatch: "can contain only alphanumerics, dash (-) and underscore (_)", at most 255.
const DASHBOARD_NAME = /^[A-Za-z0-9_-]{1,255}$/;
// The patterns AWS::Chatbot::SlackChannelConfiguration and MicrosoftTeamsChannelConfiguration accept.
const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const TEAMS_CHANNEL_ID = /^([a-zA-Z0-9-_=+/.,])*%3[aA]([a-zA-Z0-9-_=+/.,])*%40([a-zA-Z0-9-_=+/.,])*thread\.(skype|tacv2|meeting)$/;

const SLACK_HINT = 'in Slack, open the channel details (channel name > "About"): the channel id is at the bottom (C0123ABCD); ' +
  'the workspace id (T0123ABCD) is shown in the AWS Chatbot console once the workspace is authorized';
const TEAMS_HINT = 'in Teams, "Get link to channel" on the channel: the link holds the channel id (19%3a...%40thread.tacv2), ' +
  'groupId= (the team id) and tenantId=';

/** Every channel at its default: the dashboard only. */
export const DEFAULT_CHANNEL_CONFIG: ChannelConfig = {
  dashboard: CHANNEL_DEFAULTS.dashboard,
  securityHub: CHANNEL_DEFAULTS.securityHub,
  securityHubMinLevel: CHANNEL_DEFAULTS.securityHubMinLevel,
  chatMinLevel: CHANNEL_DEFAULTS.chatMinLevel,
};

/** Reads the channel keys; problems are appended to `problems`. */
export function readChannelConfig(get: (key: string) => unknown, problems: string[]): ChannelConfig {
  const text = (key: string): string | undefined => {
    const value = get(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push(`'${key}' must be a string, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const trimmed = String(value).trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const level = (key: string, fallback: Level): Level => {
    const value = text(key);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if ((SIGMA_LEVELS as readonly string[]).includes(lower)) return lower as Level;
    problems.push(`'${key}': '${value}' is not a Sigma level: use one of ${SIGMA_LEVELS.join(', ')}`);
    return fallback;
  };

  let dashboard: boolean | string = CHANNEL_DEFAULTS.dashboard;
  const dashboardText = text('dashboard');
  if (dashboardText !== undefined) {
    if (/^(true|false)$/i.test(dashboardText)) dashboard = dashboardText.toLowerCase() === 'true';
    else if (DASHBOARD_NAME.test(dashboardText)) dashboard = dashboardText;
    else {
      problems.push(
        `'dashboard': '${dashboardText}' is neither true, false nor a dashboard name: a name has at most 255 letters, ` +
          `digits, - and _ (e.g. ${dashboardText.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 255) || 'auth0-sigma'})`,
      );
    }
  }

  let securityHub = CHANNEL_DEFAULTS.securityHub;
  const securityHubText = text('securityHub');
  if (securityHubText !== undefined) {
    if (/^(true|false)$/i.test(securityHubText)) securityHub = securityHubText.toLowerCase() === 'true';
    else problems.push(`'securityHub': '${securityHubText}' is not a boolean: write true to send findings to AWS Security Hub, or false`);
  }
  const securityHubMinLevel = level('securityHubMinLevel', CHANNEL_DEFAULTS.securityHubMinLevel);
  if (!securityHub && text('securityHubMinLevel') !== undefined) {
    problems.push("'securityHubMinLevel' is set but 'securityHub' is not true: add -c securityHub=true, or drop securityHubMinLevel");
  }

  const slack = readSlack(text, problems);
  const teams = readTeams(text, problems);
  const chatMinLevel = level('chatMinLevel', CHANNEL_DEFAULTS.chatMinLevel);
  const chatKeysGiven = ['slackWorkspaceId', 'slackChannelId', 'teamsTeamId', 'teamsChannelId', 'teamsTenantId'].some((key) => text(key) !== undefined);
  if (!chatKeysGiven && text('chatMinLevel') !== undefined) {
    problems.push("'chatMinLevel' is set but no chat channel is: set 'slackWorkspaceId' and 'slackChannelId', or the three 'teams...' keys");
  }
  return { dashboard, securityHub, securityHubMinLevel, slack, teams, chatMinLevel };
}

function readSlack(text: (key: string) => string | undefined, problems: string[]): SlackChannel | undefined {
  const workspaceId = text('slackWorkspaceId');
  const channelId = text('slackChannelId');
  if (workspaceId === undefined && channelId === undefined) return undefined;
  if (workspaceId === undefined || channelId === undefined) {
    problems.push(`Slack needs both 'slackWorkspaceId' and 'slackChannelId' (${workspaceId === undefined ? 'slackWorkspaceId' : 'slackChannelId'} is missing): ${SLACK_HINT}`);
    return undefined;
  }
  let ok = true;
  if (!SLACK_WORKSPACE_ID.test(workspaceId)) {
    ok = false;
    problems.push(`'slackWorkspaceId': '${workspaceId}' is not a Slack workspace id (upper-case letters and digits, e.g. T0123ABCD; not the workspace name or URL): ${SLACK_HINT}`);
  }
  if (!SLACK_CHANNEL_ID.test(channelId)) {
    ok = false;
    const hint = channelId.startsWith('#') ? ` ('${channelId}' is a channel name; the id is different)` : '';
    problems.push(`'slackChannelId': '${channelId}' is not a Slack channel id${hint} (letters and digits, e.g. C0123ABCD): ${SLACK_HINT}`);
  }
  return ok ? { workspaceId, channelId } : undefined;
}

function readTeams(text: (key: string) => string | undefined, problems: string[]): TeamsChannel | undefined {
  const teamId = text('teamsTeamId');
  let channelId = text('teamsChannelId');
  const tenantId = text('teamsTenantId');
  const given = [teamId, channelId, tenantId].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) {
    const missing = [['teamsTeamId', teamId], ['teamsChannelId', channelId], ['teamsTenantId', tenantId]].filter(([, v]) => v === undefined).map(([k]) => k);
    problems.push(`Microsoft Teams needs 'teamsTeamId', 'teamsChannelId' and 'teamsTenantId' (missing: ${missing.join(', ')}): ${TEAMS_HINT}`);
    return undefined;
  }
  let ok = true;
  for (const [key, value] of [['teamsTeamId', teamId!], ['teamsTenantId', tenantId!]] as const) {
    if (!GUID.test(value)) {
      ok = false;
      problems.push(`'${key}': '${value}' is not a GUID (8-4-4-4-12 hexadecimal digits): ${TEAMS_HINT}`);
    }
  }
  // The channel id as Teams shows it decoded (19:abc@thread.tacv2) is accepted and encoded as AWS expects it.
  if (/^[^%]*:[^%]*@thread\./.test(channelId!)) channelId = channelId!.replace(':', '%3A').replace('@', '%40');
  if (!TEAMS_CHANNEL_ID.test(channelId!)) {
    ok = false;
    problems.push(`'teamsChannelId': '${channelId}' is not a Teams channel id (19%3a<id>%40thread.tacv2): ${TEAMS_HINT}`);
  }
  return ok ? { teamId: teamId!, channelId: channelId!, tenantId: tenantId! } : undefined;
}
