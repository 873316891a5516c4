import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPodlogError } from '../../../src/errors.ts';
import { RgOutputParser, type RgHit } from '../../../src/search/rg-search.ts';
import { findRipgrep, ripgrepArgs } from '../../../src/search/ripgrep.ts';

/** Feed `out` to a parser cut at `cuts`, collecting the records. */
async function parse(out: Buffer, cuts: number[], maxLine = 1024): Promise<RgHit[]> {
  const p = new RgOutputParser(maxLine);
  const got: RgHit[] = [];
  let at = 0;
  for (const c of [...cuts, out.length]) {
    await p.push(out.subarray(at, c), (r) => {
      got.push({ ...r, ...(r.content ? { content: Buffer.from(r.content) } : {}) });
      return true;
    });
    at = c;
  }
  return got;
}

describe("ripgrep's output parser", () => {
  const out = Buffer.from('/dev/fd/3\r\n1:0:first hit\r\n12:345:a:b:c\n\r\n/dev/fd/4\r\n7:70:\n');
  const want: RgHit[] = [
    { fd: 3 },
    { lineNumber: 1, offset: 0, content: Buffer.from('first hit\r'), length: 10 },
    { lineNumber: 12, offset: 345, content: Buffer.from('a:b:c'), length: 5 },
    { fd: 4 },
    { lineNumber: 7, offset: 70, content: Buffer.from(''), length: 0 },
  ];

  test('headings (with the \\r\\n of --crlf), hits with colons in the text, empty lines, separators', async () => {
    assert.deepEqual(await parse(out, []), want);
  });

  test('the same records wherever the chunks are cut', async () => {
    for (let i = 1; i < out.length; i++) assert.deepEqual(await parse(out, [i]), want, `cut at ${i}`);
    assert.deepEqual(await parse(out, Array.from({ length: out.length - 1 }, (_, i) => i + 1)), want, 'one byte at a time');
  });

  test('a line longer than the cut length keeps only its head, and says how long it was', async () => {
    const long = Buffer.concat([Buffer.from('/dev/fd/3\n5:9:'), Buffer.alloc(10_000, 0x61), Buffer.from('\n')]);
    const [, hit] = await parse(long, [20, 4000, 9000], 100);
    assert.equal(hit!.length, 10_000);
    assert.ok(hit!.content!.length >= 101 && hit!.content!.length <= 164, `kept ${hit!.content!.length}`);
    assert.equal(hit!.lineNumber, 5);
  });

  test('a consumer that says stop gets no further records', async () => {
    const p = new RgOutputParser(1024);
    let n = 0;
    const more = await p.push(out, () => ++n < 2);
    assert.equal(more, false);
    assert.equal(n, 2);
  });
});

describe('choosing ripgrep', () => {
  test('builtin never looks; auto without rg gives the built-in engine; ripgrep without rg refuses to start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podlog-no-rg-'));
    try {
      assert.equal(findRipgrep({ engine: 'builtin', ripgrepPath: '/nowhere/rg' }, dir), undefined);
      assert.equal(findRipgrep({ engine: 'auto', ripgrepPath: '' }, dir), undefined);
      assert.throws(() => findRipgrep({ engine: 'ripgrep', ripgrepPath: '' }, dir), (e) => isPodlogError(e) && e.code === 'PODLOG_E_CONFIG');
      assert.throws(() => findRipgrep({ engine: 'auto', ripgrepPath: 'rg' }, dir), (e) => isPodlogError(e) && e.code === 'PODLOG_E_CONFIG');
      // an executable named rg that is not ripgrep is not used
      writeFileSync(join(dir, 'rg'), '#!/bin/sh\necho "not ripgrep"\n', { mode: 0o755 });
      assert.equal(findRipgrep({ engine: 'auto', ripgrepPath: '' }, dir), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('flags: literals are fixed strings; a regex without an exact rewrite or a literal with a line break goes to the built-in engine', () => {
    const lit = ripgrepArgs({ q: 'a.b', regex: false, ci: true })!;
    assert.ok(lit.includes('--fixed-strings') && lit.includes('--ignore-case') && lit.at(-1) === 'a.b');
    assert.ok(ripgrepArgs({ q: '\\d+', regex: true, ci: false })!.includes('[[:digit:]]+'));
    assert.equal(ripgrepArgs({ q: '\\Qa\\E', regex: true, ci: false }), null);
    assert.equal(ripgrepArgs({ q: 'a\nb', regex: false, ci: false }), null);
  });
});
