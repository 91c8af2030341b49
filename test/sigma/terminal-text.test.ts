import { escapeForTerminal, escapeForTerminalKeepingLines } from '../../lambda/sigma/terminal-text';

// The patterns as they were before the ASCII pre-check: the pre-check may only skip text these leave unchanged.
// eslint-disable-next-line no-misleading-character-class
const UNSAFE = /[\p{Cc}\p{Default_Ignorable_Code_Point}\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
// eslint-disable-next-line no-misleading-character-class
const UNSAFE_KEEP_LAYOUT = /(?![\n\t])[\p{Cc}\p{Default_Ignorable_Code_Point}\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
const escapeUnits = (m: string): string => [...Array(m.length).keys()].map((i) => `\\u${m.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

describe('terminal text escaping', () => {
  it('gives what the Unicode property patterns give, for every UTF-16 unit and for astral characters', () => {
    const samples: string[] = [];
    // Every unit between ASCII letters (its neighbours for the surrogate look-arounds), 4096 to a sample.
    for (let block = 0; block <= 0xffff; block += 4096) {
      let text = '';
      for (let unit = block; unit < block + 4096; unit++) text += `a${String.fromCharCode(unit)}b`;
      samples.push(text);
    }
    samples.push('plain ascii {"json":1}\n', 'tag \udb40\udc41 and emoji \ud83e\udd8a', 'pair split \ud83e', '\udd8a leading low');
    for (const text of samples) {
      expect(escapeForTerminal(text)).toBe(text.replace(UNSAFE, escapeUnits));
      expect(escapeForTerminalKeepingLines(text)).toBe(text.replace(UNSAFE_KEEP_LAYOUT, escapeUnits));
    }
  });

  it('escapes what can move the cursor or hide text, keeps line feeds and tabs only in the multi-line form', () => {
    expect(escapeForTerminal('a\u001b[2Jb\nc\t')).toBe('a\\u001b[2Jb\\u000ac\\u0009');
    expect(escapeForTerminalKeepingLines('a\u001b[2Jb\nc\t\u202e')).toBe('a\\u001b[2Jb\nc\t\\u202e');
    expect(escapeForTerminalKeepingLines('{"user":"é漢字"}')).toBe('{"user":"é漢字"}');
  });
});
