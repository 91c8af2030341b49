// Numeric command-line options: parsed and range-checked by commander, so a bad value is a usage error (exit 2)
// before anything runs, never a warning followed by a run with some other value. And the options that bound
// what `scan` keeps in memory (docs/cli-limits.md).

import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_MAX_ITEM_BYTES } from '../../lambda/sigma/ndjson';
import { DEFAULT_MAX_GROUPS, DEFAULT_MAX_STATE_BYTES } from '../../lambda/sigma/correlation-store';

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

function checkRange(n: number, min: number, max: number, written: string, unit: string): number {
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InvalidArgumentError(`must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}${unit} (got '${written}').`);
  }
  return n;
}

/** A commander argument parser for a whole number in [min, max] (digits only: no sign, exponent or fraction). */
export function integerOption(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const text = value.trim();
    if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max.toLocaleString('en-US')} (got '${value}').`);
    return checkRange(Number(text), min, max, value, '');
  };
}

/** A size in bytes, with an optional binary unit: `65536`, `512K`, `1M`, `2GiB` (K = 1024). */
export function byteSizeOption(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const m = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
    const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
    if (!m || unit === undefined) throw new InvalidArgumentError(`must be a size in bytes, optionally with K, M or G (1024-based), e.g. 1M (got '${value}').`);
    return checkRange(Number(m[1]) * unit, min, max, value, ' bytes');
  };
}

export interface ScanLimitOptions {
  /** --max-item-size: longest input item (line, array element) kept, in bytes. */
  maxItemSize: number;
  /** --max-correlation-groups: most correlation groups held at once. */
  maxCorrelationGroups: number;
  /** --max-correlation-memory: most estimated bytes of correlation state. */
  maxCorrelationMemory: number;
}

export const SCAN_LIMIT_DEFAULTS: ScanLimitOptions = {
  maxItemSize: DEFAULT_MAX_ITEM_BYTES,
  maxCorrelationGroups: DEFAULT_MAX_GROUPS,
  maxCorrelationMemory: DEFAULT_MAX_STATE_BYTES,
};

const MIB = 1024 * 1024;

/** The options that bound what `scan` keeps in memory. */
export function addScanLimitOptions(cmd: Command): Command {
  return cmd
    .option(
      '--max-item-size <bytes>',
      `longest input item (NDJSON line, array element) read; longer ones are reported with their line and skipped (default ${DEFAULT_MAX_ITEM_BYTES / MIB}M; EventBridge events are at most 256K)`,
      byteSizeOption(1024, 1024 * MIB),
    )
    .option(
      '--max-correlation-groups <n>',
      `most correlation groups kept at once; past it the least recently fed groups are dropped and counted (default ${DEFAULT_MAX_GROUPS})`,
      integerOption(1, 100_000_000),
    )
    .option(
      '--max-correlation-memory <bytes>',
      `most memory (estimated) for correlation state, e.g. 512M; past it the least recently fed groups are dropped and counted (default ${DEFAULT_MAX_STATE_BYTES / MIB}M)`,
      byteSizeOption(MIB, 64 * 1024 * MIB),
    );
}

/** The limits from parsed options, defaults filled in. */
export function scanLimits(options: Partial<ScanLimitOptions>): ScanLimitOptions {
  return {
    maxItemSize: options.maxItemSize ?? SCAN_LIMIT_DEFAULTS.maxItemSize,
    maxCorrelationGroups: options.maxCorrelationGroups ?? SCAN_LIMIT_DEFAULTS.maxCorrelationGroups,
    maxCorrelationMemory: options.maxCorrelationMemory ?? SCAN_LIMIT_DEFAULTS.maxCorrelationMemory,
  };
}
