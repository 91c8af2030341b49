import { Diagnostics, RuleError, compareDiagnostics, formatDiagnostic, formatLocation } from '../../lambda/sigma/diagnostics';
import type { Diagnostic } from '../../lambda/sigma/types';

const full: Diagnostic = {
  severity: 'error',
  code: 'unknown-modifier',
  message: "unknown modifier 'contians'",
  hint: 'did you mean contains?',
  loc: { file: 'rules/x.yml', line: 14, col: 9 },
  ruleId: '90a9a856-716d-11f0-bb81-723487b9527c',
  ruleTitle: 'Token copied',
  identifier: 'selection',
  field: 'data.client_id',
  modifier: 'contians',
};

describe('formatDiagnostic', () => {
  it('writes path:line:col, severity, message, the context and the hint', () => {
    expect(formatDiagnostic(full)).toBe(
      "rules/x.yml:14:9: error: unknown modifier 'contians' (rule 'Token copied', identifier 'selection', field 'data.client_id', modifier 'contians') — did you mean contains?",
    );
  });

  it('leaves out what is unknown', () => {
    expect(formatDiagnostic({ severity: 'warning', code: 'x', message: 'something', loc: { file: 'a.yml', line: 1, col: 2 } })).toBe('a.yml:1:2: warning: something');
    expect(formatDiagnostic({ severity: 'note', code: 'x', message: 'm', loc: { file: 'a.yml', line: 3, col: 4 }, field: 'f', hint: 'h' })).toBe(
      "a.yml:3:4: note: m (field 'f') — h",
    );
  });

  it('names the rule by id when it has no title', () => {
    expect(formatDiagnostic({ severity: 'error', code: 'x', message: 'm', loc: { file: 'a.yml', line: 1, col: 1 }, ruleId: 'abc' })).toBe("a.yml:1:1: error: m (rule 'abc')");
  });

  it('formats a location alone', () => {
    expect(formatLocation({ file: 'r/y.yaml', line: 7, col: 3 })).toBe('r/y.yaml:7:3');
  });
});

describe('Diagnostics', () => {
  it('collects and filters by severity', () => {
    const ds = new Diagnostics();
    expect(ds.hasErrors()).toBe(false);
    ds.add({ ...full, severity: 'warning' });
    expect(ds.hasErrors()).toBe(false);
    ds.addAll([full, { ...full, severity: 'note' }]);
    expect(ds.hasErrors()).toBe(true);
    expect(ds.errors()).toEqual([full]);
    expect(ds.warnings().map((d) => d.severity)).toEqual(['warning']);
    expect(ds.notes().map((d) => d.severity)).toEqual(['note']);
    expect(ds.all()).toHaveLength(3);
    expect(ds.size).toBe(3);
    // all() is a copy: callers cannot change the collector.
    ds.all().pop();
    expect(ds.all()).toHaveLength(3);
  });

  it('sorts by file, line, column and severity', () => {
    const at = (file: string, line: number, col: number, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({ severity, code: 'c', message: 'm', loc: { file, line, col } });
    const sorted = [at('b.yml', 1, 1), at('a.yml', 2, 1), at('a.yml', 1, 5), at('a.yml', 1, 5, 'note'), at('a.yml', 1, 5, 'warning')]
      .sort(compareDiagnostics)
      .map((d) => `${formatLocation(d.loc)} ${d.severity}`);
    expect(sorted).toEqual(['a.yml:1:5 error', 'a.yml:1:5 warning', 'a.yml:1:5 note', 'a.yml:2:1 error', 'b.yml:1:1 error']);
  });
});

describe('RuleError', () => {
  it('carries the diagnostics and formats them as its message', () => {
    const err = new RuleError([full]);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('RuleError');
    expect(err.diagnostics).toEqual([full]);
    expect(err.message).toBe(formatDiagnostic(full));
    expect(new RuleError([], 'custom').message).toBe('custom');
  });
});
