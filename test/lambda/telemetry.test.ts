// The Powertools-backed telemetry: JSON log lines with the invocation's request id, EMF metrics in the
// Auth0Sigma namespace, dimensioned counts as records of their own.

import { PowertoolsTelemetry } from '../../lambda/telemetry';

let written: string[];
let spies: jest.SpyInstance[];

// Powertools writes info and metrics to stdout, warnings and errors to stderr.
beforeEach(() => {
  written = [];
  spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }),
  );
});
afterEach(() => spies.forEach((s) => s.mockRestore()));

const records = () => written.flatMap((w) => w.split('\n')).filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

test('log lines are JSON and carry the request id once the invocation began', () => {
  const telemetry = new PowertoolsTelemetry();
  telemetry.beginInvocation({ awsRequestId: 'req-123', functionName: 'detector', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:detector', memoryLimitInMB: '512' });
  telemetry.logger.warn('skipped an event that is not an Auth0 log', { log_id: 'abc' });
  const line = records().find((r) => r.message === 'skipped an event that is not an Auth0 log');
  expect(line).toMatchObject({ level: 'WARN', service: 'auth0-sigma', log_id: 'abc', function_request_id: 'req-123' });
});

test('counts are published as EMF in the Auth0Sigma namespace on flush', () => {
  const telemetry = new PowertoolsTelemetry();
  telemetry.count('EventsEvaluated');
  telemetry.count('EventsEvaluated');
  telemetry.count('Detections', 1, { Level: 'high' });
  const dimensioned = records().find((r) => r.Detections !== undefined);
  expect(dimensioned).toMatchObject({ Level: 'high', Detections: 1 });
  expect(records().some((r) => r.EventsEvaluated !== undefined)).toBe(false); // buffered until flush
  telemetry.flush();
  const evaluated = records().find((r) => r.EventsEvaluated !== undefined) as { _aws: { CloudWatchMetrics: { Namespace: string }[] }; EventsEvaluated: number[] };
  expect(evaluated._aws.CloudWatchMetrics[0].Namespace).toBe('Auth0Sigma');
  expect(evaluated.EventsEvaluated).toEqual([1, 1]);
});
