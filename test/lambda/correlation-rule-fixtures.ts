// Test-only correlation rules the detector and sweep tests share (written for these tests, not catalog rules).

/** Successful logins, and a user with fewer than 3 of them within 10 minutes of the first one: decidable only
 *  when the window has closed, so only the sweep can fire it. */
export function fewLoginsRules(correlationId: string): string {
  return `title: Successful login
name: login_ok
logsource: { product: auth0 }
detection:
  sel: { data.type: s }
  condition: sel
level: informational
---
title: Few logins per user
id: ${correlationId}
level: medium
correlation:
  type: event_count
  rules: [login_ok]
  group-by: [data.user_id]
  timespan: 10m
  condition: { lt: 3 }
`;
}
