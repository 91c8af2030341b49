// The deployable stack: the source bus (partner event bus, or an imported one), the detection bus reference,
// and the SigmaDetector wired with the validated configuration. Environment-agnostic (no account/region
// lookups), so `cdk synth` works offline without credentials.

import { Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DEFAULT_CHANNEL_CONFIG } from './channel-config';
import type { DeployConfig } from './config';
import { SigmaDetector } from './sigma-detector';

export interface Auth0SigmaStackProps extends StackProps {
  config: DeployConfig;
  /** The validated rule set file (see lib/rules-artifact.ts). */
  rulesFile: string;
  /** The bus rule's event pattern (the EventBridge prefilter); omitted = every Auth0 log event. */
  eventPattern?: Record<string, unknown>;
  /** With `config.tenants`: each tenant's prefilter, in the same order (undefined entries: every Auth0 log event). */
  tenantPatterns?: (Record<string, unknown> | undefined)[];
}

export class Auth0SigmaStack extends Stack {
  readonly detector: SigmaDetector;
  readonly sourceBus: events.IEventBus;
  readonly detectionBus?: events.IEventBus;
  /** With several tenants, each tenant's partner event bus (the first is `sourceBus`). */
  readonly tenantBuses: events.IEventBus[] = [];

  constructor(scope: Construct, id: string, props: Auth0SigmaStackProps) {
    super(scope, id, {
      description: 'auth0-sigma: Sigma detection rules on Auth0 log events, alerts by email/SMS and EventBridge',
      ...props,
    });
    const { config } = props;
    const channels = config.channels ?? DEFAULT_CHANNEL_CONFIG;

    const tenants = config.tenants ?? [];
    // Several tenants: one partner event bus each (the partner event source becomes a bus of the same name).
    tenants.forEach((tenant, i) => {
      this.tenantBuses.push(new events.EventBus(this, i === 0 ? 'Auth0EventBus' : `Auth0EventBus-${tenant.name}`, { eventSourceName: tenant.eventSourceName }));
    });
    if (this.tenantBuses.length > 0) this.sourceBus = this.tenantBuses[0];
    else switch (config.source.kind) {
      case 'partner':
        // The partner event source becomes a bus of the same name when this resource is created.
        this.sourceBus = new events.EventBus(this, 'Auth0EventBus', { eventSourceName: config.source.eventSourceName });
        break;
      case 'busName':
        this.sourceBus = events.EventBus.fromEventBusName(this, 'Auth0EventBus', config.source.eventBusName);
        break;
      case 'busArn':
        this.sourceBus = events.EventBus.fromEventBusArn(this, 'Auth0EventBus', config.source.eventBusArn);
        break;
    }

    if (config.detectionBus !== null) {
      this.detectionBus = config.detectionBus.startsWith('arn:')
        ? events.EventBus.fromEventBusArn(this, 'DetectionBus', config.detectionBus)
        : events.EventBus.fromEventBusName(this, 'DetectionBus', config.detectionBus);
    }

    this.detector = new SigmaDetector(this, 'Detector', {
      sourceBus: this.sourceBus,
      rulesFile: props.rulesFile,
      eventPattern: props.eventPattern,
      alertEmails: config.alertEmails,
      alertPhoneNumbers: config.alertPhoneNumbers,
      emailMinLevel: config.emailMinLevel,
      smsMinLevel: config.smsMinLevel,
      detectionBus: this.detectionBus,
      auth0Domain: config.auth0Domain,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      alarmEmails: config.alarmEmails,
      reservedConcurrentExecutions: config.reservedConcurrency,
      stormControl: config.stormControl,
      notificationBudgets: config.notificationBudgets,
      dashboard: channels.dashboard,
      securityHub: channels.securityHub ? { minLevel: channels.securityHubMinLevel } : undefined,
      chat: channels.slack || channels.teams ? { slack: channels.slack, teams: channels.teams, minLevel: channels.chatMinLevel } : undefined,
      eventSourceName: config.source.kind === 'partner' ? config.source.eventSourceName : undefined,
      sourceLabel: tenants[0]?.name,
      extraSources: tenants.slice(1).map((tenant, i) => ({
        label: tenant.name, bus: this.tenantBuses[i + 1], eventSourceName: tenant.eventSourceName, eventPattern: props.tenantPatterns?.[i + 1],
      })),
    });
    this.detector.addOutputs(this, this.sourceBus);
  }
}
