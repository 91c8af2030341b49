// Generator for the correlation-memory worst case: one failed login from each of N distinct IP addresses, spread
// over one hour of event time (every IP opens a correlation group that stays open for the whole window).
// Written as a stream, so no huge file is ever committed:
//   npx tsx test/hostile/many-ips.ts 1000000 > /tmp/many-ips.ndjson
// `manyIpEvents` is used by the tests with a small N.

const START_MS = Date.parse('2026-11-01T00:00:00Z');
const HOUR_MS = 3_600_000;

/** The i-th distinct IPv4 address of 10.0.0.0/8 (up to 16.7 M). */
export function nthIp(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/** One NDJSON line: a failed login (`f`) from the i-th IP, event time spread evenly over one hour. */
export function manyIpEventLine(i: number, total: number): string {
  const date = new Date(START_MS + Math.floor((i * HOUR_MS) / Math.max(total, 1))).toISOString();
  return JSON.stringify({ log_id: `many-ips-${i}`, data: { type: 'f', date, ip: nthIp(i), user_name: `user${i}@example.com`, description: 'Wrong email or password.' } });
}

export function* manyIpEvents(total: number): Generator<string> {
  for (let i = 0; i < total; i++) yield manyIpEventLine(i, total);
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? '1000000');
  if (!Number.isSafeInteger(total) || total < 1) {
    process.stderr.write('usage: npx tsx test/hostile/many-ips.ts <number of IPs>\n');
    process.exitCode = 2;
    return;
  }
  let block = '';
  for (const line of manyIpEvents(total)) {
    block += `${line}\n`;
    if (block.length >= 1 << 20) {
      if (!process.stdout.write(block)) await new Promise((resolve) => process.stdout.once('drain', resolve));
      block = '';
    }
  }
  process.stdout.write(block);
}

if (require.main === module) void main();
