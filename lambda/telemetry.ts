// Structured JSON logs and CloudWatch metrics (Embedded Metric Format) through Powertools for AWS Lambda.
// Log lines carry identifiers (log_id, rule id, error text), never whole events: events hold personal data.

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from './notify/constants';
import type { LoggerLike, MetricName, Telemetry } from './pipeline-types';

export class PowertoolsTelemetry implements Telemetry {
  readonly logger: LoggerLike;
  private readonly metrics: Metrics;
  private readonly powertoolsLogger: Logger;

  constructor() {
    const logger = new Logger({ serviceName: SERVICE_NAME });
    this.powertoolsLogger = logger;
    this.logger = {
      debug: (message, extra) => (extra ? logger.debug(message, extra) : logger.debug(message)),
      info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
      warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
      error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
    };
    this.metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  }

  count(metric: MetricName, value = 1, dimensions?: Record<string, string>): void {
    this.add(metric, MetricUnit.Count, value, dimensions);
  }

  gauge(metric: MetricName, value: number, unit: 'Count' | 'Bytes', dimensions?: Record<string, string>): void {
    this.add(metric, unit === 'Bytes' ? MetricUnit.Bytes : MetricUnit.Count, value, dimensions);
  }

  private add(metric: MetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number, dimensions?: Record<string, string>): void {
    if (!dimensions) {
      this.metrics.addMetric(metric, unit, value);
      return;
    }
    // Dimensioned metrics (per rule, per level, per sink, per tenant) go out as their own EMF record, so the
    // dimensions of one do not leak onto the invocation's other metrics.
    const single = this.metrics.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(metric, unit, value);
  }

  beginInvocation(lambdaContext: unknown): void {
    const context = lambdaContext as { awsRequestId?: unknown; functionName?: unknown } | undefined;
    if (context && typeof context.awsRequestId === 'string' && typeof context.functionName === 'string') {
      this.powertoolsLogger.addContext(context as Parameters<Logger['addContext']>[0]);
      this.metrics.captureColdStartMetric(context.functionName);
    }
  }

  flush(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }
}
