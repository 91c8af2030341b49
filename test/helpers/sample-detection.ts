// One realistic detection (the seed rule's shape: a Management API token copied from the API Explorer) for the
// notifier tests, with the fields each channel renders; tests change what they exercise through the arguments.

import type { Detection } from '../../lambda/sigma/types';

export function sampleDetection(overrides: Partial<Detection> = {}, meta: Record<string, unknown> = {}, tags: string[] = ['attack.credential_access', 'attack.t1528']): Detection {
  return {
    rule: {
      id: 'aaaaaaaa-1111-4222-8333-444444444444',
      title: 'Token copied from the API Explorer',
      level: 'high',
      tags,
      meta: { explanation: 'Someone copied a Management API token.', prevention: ['Restrict Dashboard admins.', 'Rotate the token.'], ...meta },
    },
    log_id: '90020251202050000000000000000000000000000000000000001',
    date: '2026-12-02T04:59:58.000Z',
    type: 'seccft',
    user_id: 'auth0|abc',
    user_name: 'admin@acme.example',
    ip: '203.0.113.7',
    client_id: 'AbCdEf0123456789',
    client_name: 'API Explorer Application',
    ...overrides,
  };
}
