import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalText, textFault } from './text.ts';

describe('free text', () => {
  it('accepts ordinary French text, line breaks and tabs', () => {
    for (const s of ['Élodie D’Arc-Lefèvre', 'ligne 1\nligne 2\r\n\tfin', '', '😀 ok', 'Œuvre « n° 3 »'])
      assert.equal(textFault(s), null, s);
  });

  it('names what is refused: lone surrogates, control characters, bidi overrides and isolates', () => {
    assert.match(textFault('\ud800')!, /demi-paire/);
    assert.match(textFault('a\udc00b')!, /demi-paire/);
    for (const c of ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f'])
      assert.match(textFault(`x${c}y`)!, /contrôle interdit/, JSON.stringify(c));
    for (const c of ['\u202a', '\u202e', '\u2066', '\u2069'])
      assert.match(textFault(`x${c}y`)!, /direction/, JSON.stringify(c));
  });

  it('canonical text is what a UTF-8 database stores back, idempotent and the identity on good text', () => {
    assert.equal(canonicalText('a\ud800b\u0000c\u202ed'), 'a\uFFFDb\uFFFDc\uFFFDd');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const c = canonicalText(s);
        assert.equal(textFault(c), null);
        assert.equal(canonicalText(c), c);
        // Round trip through UTF-8 changes nothing any more.
        assert.equal(Buffer.from(c, 'utf8').toString('utf8'), c);
        if (textFault(s) === null) assert.equal(c, s);
      }),
      { numRuns: 500 },
    );
  });
});
