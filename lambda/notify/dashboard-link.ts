// Link to one log entry in the Auth0 Dashboard. The dashboard addresses a tenant as
// https://manage.auth0.com/dashboard/<region>/<tenant>/..., and its Monitoring > Logs page opens one entry at
// .../logs/<log_id>. The region and tenant come from the canonical domain <tenant>.<region>.auth0.com; the
// legacy US domain <tenant>.auth0.com has region `us`. Custom domains carry neither, so config rejects them.

const CANONICAL_DOMAIN = /^([a-z0-9][a-z0-9-]*)(?:\.([a-z0-9][a-z0-9-]*))?\.auth0\.com$/;
// Auth0 log ids are long alphanumeric strings; anything else (attacker-shaped input) gets no link.
const LOG_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function dashboardLogUrl(auth0Domain: string | undefined, logId: string | undefined): string | undefined {
  if (!auth0Domain || !logId || !LOG_ID.test(logId)) return undefined;
  const m = CANONICAL_DOMAIN.exec(auth0Domain.toLowerCase());
  if (!m) return undefined;
  const tenant = m[1];
  const region = m[2] ?? 'us';
  return `https://manage.auth0.com/dashboard/${region}/${tenant}/logs/${logId}`;
}
