// `scan --format` values: apart from scan.ts so that defining the command line does not load the scan's code.
export const SCAN_FORMATS = ['text', 'json'] as const;
