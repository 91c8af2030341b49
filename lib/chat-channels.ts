// Chat delivery (docs/channels.md): a dedicated SNS topic, encrypted with the detector's key, that carries AWS
// Chatbot custom notifications (lambda/notify/chat-message.ts), and the Chatbot channel configurations (Amazon Q
// Developer in chat applications) that post them to a Slack channel and/or a Microsoft Teams channel.
// Email and SMS keep their own topic and text: chat gets its own message format without touching theirs.
//
// The channels only receive notifications. Their role has no permissions, and their guardrail (which caps what
// anyone may run from the channel) denies everything: without a guardrail, Chatbot applies AdministratorAccess.

import { Names } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { SlackChannel, TeamsChannel } from './channel-config';

export interface ChatChannelsProps {
  readonly key: kms.IKey;
  readonly slack?: SlackChannel;
  readonly teams?: TeamsChannel;
}

export class ChatChannels extends Construct {
  readonly topic: sns.Topic;
  readonly role: iam.Role;
  readonly guardrail: iam.ManagedPolicy;
  readonly slack?: chatbot.SlackChannelConfiguration;
  readonly teams?: chatbot.CfnMicrosoftTeamsChannelConfiguration;

  constructor(scope: Construct, id: string, props: ChatChannelsProps) {
    super(scope, id);
    if (!props.slack && !props.teams) throw new Error('ChatChannels: give a Slack channel, a Teams channel or both');

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Auth0 Sigma detections for chat',
      masterKey: props.key,
      enforceSSL: true,
    });
    this.role = new iam.Role(this, 'ChannelRole', {
      assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
      description: 'auth0-sigma chat channels: notifications only, no permissions',
    });
    this.guardrail = new iam.ManagedPolicy(this, 'Guardrail', {
      description: 'auth0-sigma chat channels: nothing may be run from the channel',
      statements: [new iam.PolicyStatement({ sid: 'NotificationsOnly', effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] })],
    });

    const name = (suffix: string): string => Names.uniqueResourceName(this, { maxLength: 120, separator: '-' }) + suffix;
    if (props.slack) {
      this.slack = new chatbot.SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: name('-slack'),
        slackWorkspaceId: props.slack.workspaceId,
        slackChannelId: props.slack.channelId,
        notificationTopics: [this.topic],
        role: this.role,
        guardrailPolicies: [this.guardrail],
        loggingLevel: chatbot.LoggingLevel.ERROR,
        userRoleRequired: false,
      });
    }
    if (props.teams) {
      this.teams = new chatbot.CfnMicrosoftTeamsChannelConfiguration(this, 'Teams', {
        configurationName: name('-teams'),
        teamId: props.teams.teamId,
        teamsChannelId: props.teams.channelId,
        teamsTenantId: props.teams.tenantId,
        snsTopicArns: [this.topic.topicArn],
        iamRoleArn: this.role.roleArn,
        guardrailPolicies: [this.guardrail.managedPolicyArn],
        loggingLevel: 'ERROR',
        userRoleRequired: false,
      });
    }
    NagSuppressions.addResourceSuppressions(this.guardrail, [{
      id: 'AwsSolutions-IAM5',
      reason: 'A deny-all guardrail: the wildcard denies every action from the chat channel, it grants nothing.',
    }]);
  }
}
