import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';
import { waitFor } from '../../helpers/wait.ts';
import { MAX_LINE_BYTES } from '../../../src/logfile/line.ts';
import { findRipgrep } from '../../../src/search/ripgrep.ts';
import { toRustRegex } from '../../../src/search/rg-pattern.ts';

const rg = findRipgrep({ engine: 'auto', ripgrepPath: '' }, process.env.PATH);
const skip = rg ? false : 'ripgrep (rg) is not installed: apt-get install ripgrep';

const JOB = 'job' + 'a1b2c3d4'.repeat(4);
const LOG = [
  '2026-11-20 10:00:00,001 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - Receive slot request 1732100000001.',
  '2026-11-20 10:00:01,002 WARN  org.apache.flink.runtime.taskmanager.Task [] - Map (1/2) switched from RUNNING to FAILED.',
  '2026-11-20 10:00:01,003 ERROR org.apache.flink.runtime.jobmaster.JobMaster [] - Task failed: ' + JOB + ' restart strategy exhausted',
  '\tat com.example.FailingMap.map(FailingMap.java:21)',
  '',
  'GET /api/v1/pods 200  user@example.org  Größe=12 ÉTAT=ok straße',
  'ÉTAT critique: task FAILED (ελληνικά) ٣٤٥ digits',
  'é' + JOB + ' glued to a non-ASCII letter',
  '[]a] brackets & tildes ~ and a{,3} braces x{,3}',
  'Task Failed twice   with    spaces',
];

/** Queries both engines must answer identically: [q, regex, case-insensitive]. */
const QUERIES: [string, boolean, boolean][] = [
  ['ERROR', false, false],
  ['task failed', false, true],
  ['Größe', false, true],
  ['étAt', false, true],
  ['\t', false, false],
  ['a{,3}', false, false],
  ['ERROR|WARN', true, false],
  ['error|warn', true, true],
  ['^2026', true, false],
  ['FAILED\\.?$', true, false],
  ['^\\s*$', true, false],
  ['^', true, false],
  ['\\bjob[0-9a-f]{32}\\b', true, false],
  ['[0-9]{13}', true, false],
  ['\\d{4}-\\d\\d', true, false],
  ['\\d{3}', true, false],
  ['\\w+@\\w+', true, false],
  ['\\s{2,}', true, false],
  ['\\S+ß', true, false],
  ['[^\\x00-\\x7f]o', true, false],
  ['(?i)STRASSE|straße', true, false],
  ['[[:upper:]]{5}', true, false],
  ['x{,3}', true, false],
  ['\\/api\\/v1', true, false],
  ['[]a]', true, false],
  ['[a&&b]', true, false],
  ['[\\d\\s]x', true, false],
  ['\\pL+ß', true, false],
  ['\\p{Greek}+', true, false],
  ['\\Qa{,3}\\E', true, false],
  ['(?U)F.+d', true, false],
  ['caf\\x{e9}|\\x41BC', true, false],
  ['task\\s+failed', true, true],
  ['(?P<lvl>WARN|ERROR)\\s+org', true, false],
  ['é\\w', true, true],
  ['.*', true, false],
];

type Row = Record<string, unknown>;
const ndjson = (text: string): Row[] => text.trim().split('\n').map((l) => JSON.parse(l) as Row);

describe('ripgrep and the built-in engine find the same lines', { skip }, () => {
  const root = makeRoot();
  let builtin: Awaited<ReturnType<typeof buildTestApp>>;
  let ripgrep: Awaited<ReturnType<typeof buildTestApp>>;
  const search = async (t: typeof builtin, qs: string) => ndjson((await request(t.app).get(`/api/v1/search?${qs}&limit=100000`).expect(200)).text);
  const both = async (qs: string) => ({ b: await search(builtin, qs), r: await search(ripgrep, qs) });
  before(async () => {
    const c = (pod: string, n: number, file: string, data: string | Buffer) => root.file('tenant', pod, uid(n), 'app', file, data);
    c('plain-0', 1, 'app.log', LOG.join('\n') + '\n');
    c('crlf-0', 2, 'app.log', LOG.join('\r\n') + '\r\n');
    c('nofinal-0', 3, 'app.log', LOG.join('\n'));
    // invalid UTF-8 and NUL bytes past the first 8 KiB (text to both engines)
    c('bytes-0', 4, 'app.log', Buffer.concat([Buffer.from('x'.repeat(9000) + '\nERROR bad \xff\xfe bytes\n', 'latin1'), Buffer.from('WARN nul\0inside\nlast ERROR\n')]));
    c('binary-0', 5, 'core', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 10, 0x45, 0x52, 0x52, 0x4f, 0x52, 10]));
    // a line longer than the cut length, with a match at its end (inside the built-in engine's buffer on all its paths)
    c('long-0', 6, 'app.log', 'head\n' + 'y'.repeat(MAX_LINE_BYTES + 30_000) + ' ERROR at the end\ntail ERROR\n');
    // many files, more than one ripgrep batch
    for (let i = 0; i < 3; i++) for (let f = 0; f < 70; f++) c(`many-${i}`, 10 + i, `app.log.${f}`, `${f} first\n${i % 2 ? 'WARN' : 'INFO'} file ${f} ERROR\n`);
    builtin = await buildTestApp(root);
    ripgrep = await buildTestApp(root, { ripgrep: rg! });
  });
  after(async () => {
    await builtin.close();
    await ripgrep.close();
    root.cleanup();
  });

  test('every query of the corpus: same hits (file, offset, line number, text) and the same summary', async () => {
    for (const [q, regex, ci] of QUERIES) {
      const qs = `q=${encodeURIComponent(q)}&regex=${regex}&case=${!ci}`;
      const { b, r } = await both(qs);
      assert.deepEqual(r, b, `query ${JSON.stringify(q)} regex=${regex} ci=${ci}`);
      assert.equal(b.at(-1)!.stopped_by, 'done');
    }
  });

  test('the corpus exercises what it claims: hits in CRLF, unterminated, invalid UTF-8 and many-file cases', async () => {
    const { b } = await both('q=ERROR');
    const pods = new Set(b.filter((h) => !h.done).map((h) => h.pod));
    for (const p of ['plain-0', 'crlf-0', 'nofinal-0', 'bytes-0', 'long-0', 'many-0', 'many-2']) assert.ok(pods.has(p), p);
    assert.ok(!pods.has('binary-0'));
    const bad = b.find((h) => h.pod === 'bytes-0' && String(h.line).startsWith('ERROR bad'))!;
    assert.equal(bad.line, 'ERROR bad \ufffd\ufffd bytes');
    const cut = b.find((h) => h.pod === 'long-0' && h.truncated)!;
    assert.match(String(cut.line), /line cut at 1048576 bytes, \d+ in total/);
    const summary = b.at(-1)!;
    assert.equal(summary.files_skipped, 1);
    assert.ok((summary.files_searched as number) > 200);
  });

  test('limit, mid-file and across batches, stops both engines at the same hit', async () => {
    for (const limit of [1, 7, 150]) {
      const qs = `q=ERROR&limit=${limit}`;
      const b = ndjson((await request(builtin.app).get(`/api/v1/search?${qs}`).expect(200)).text);
      const r = ndjson((await request(ripgrep.app).get(`/api/v1/search?${qs}`).expect(200)).text);
      assert.deepEqual(r.slice(0, -1), b.slice(0, -1));
      assert.equal(r.at(-1)!.stopped_by, 'limit');
      assert.equal(r.at(-1)!.matches, limit);
    }
  });

  test('documented differences: ripgrep folds the Kelvin sign and searches a line too long for the built-in buffer', async () => {
    root.file('tenant', 'kelvin-0', uid(40), 'app', 'app.log', 'the \u212A unit\n' + 'z'.repeat(5 * 1024 * 1024) + ' needle\n');
    await waitFor(() => builtin.catalog.generations('tenant', 'kelvin-0')[0]?.containers.get('app')?.files.size === 1 && ripgrep.catalog.generations('tenant', 'kelvin-0')[0]?.containers.get('app')?.files.size === 1, { what: 'both catalogs see the pod' });
    const k = await both('q=k&case=false&pod=kelvin-0');
    assert.equal(k.b.length, 1); // only the summary: ASCII folding
    assert.equal(k.r.length, 2);
    const n = await both('q=needle&pod=kelvin-0');
    assert.equal(n.b.length, 1); // the built-in engine looked at the line's first bytes only
    assert.equal(n.r[0]!.truncated, true);
    assert.equal(n.r[0]!.line_number, 2);
  });

  test('documented differences: an invalid UTF-8 byte is no character to ripgrep, and its `$` always matches before `\\r\\n`', async () => {
    const bad = await both(`q=${encodeURIComponent('bad [^\\x00-\\x7f]')}&regex=true`);
    assert.equal(bad.b.filter((h) => !h.done).length, 1); // U+FFFD to the built-in engine
    assert.equal(bad.r.filter((h) => !h.done).length, 0);
    const empty = await both(`q=${encodeURIComponent('^$')}&regex=true&pod=crlf-0`);
    assert.equal(empty.b.filter((h) => !h.done).length, 0); // a regex without literals sees the \r
    assert.deepEqual(empty.r.filter((h) => !h.done).map((h) => [h.line_number, h.line]), [[5, '']]);
  });

  test('a limit reached while a later batch waits with a full pipe ends the search and releases every descriptor', { timeout: 60_000 }, async () => {
    // 300 files: two ripgrep batches (256 + 44 files); the limit falls late in the first one's 51,200 hits,
    // long after the second has filled its 1 MiB of read-ahead and stopped on its full pipe
    const line = 'MATCH '.padEnd(200, 'x') + '\n';
    for (let f = 0; f < 300; f++) root.file('tenant', 'flood-0', uid(43), 'app', `flood.log.${f}`, line.repeat(200));
    await waitFor(() => ripgrep.catalog.generations('tenant', 'flood-0')[0]?.containers.get('app')?.files.size === 300, { what: 'the catalog lists the files' });
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const rows = ndjson((await request(ripgrep.app).get('/api/v1/search?q=MATCH&pod=flood-0&limit=50000').expect(200)).text);
    assert.equal(rows.at(-1)!.stopped_by, 'limit');
    assert.equal(rows.filter((h) => !h.done).length, 50_000);
    await waitFor(() => fds() <= before, { what: 'descriptors released' });
    const all = ndjson((await request(ripgrep.app).get('/api/v1/search?q=MATCH&pod=flood-0&limit=100000').expect(200)).text);
    assert.equal(all.at(-1)!.matches, 60_000);
  });

  test('a pattern ripgrep refuses (beyond its size limit) runs on the built-in engine instead', async () => {
    const { b, r } = await both(`q=${encodeURIComponent('\\pL{300}')}&regex=true`);
    assert.deepEqual(r, b);
    assert.equal(r.at(-1)!.stopped_by, 'done');
  });

  test('a symlink swapped in for a listed file is refused by the door: ripgrep never reads its target', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'podlog-outside-'));
    try {
      writeFileSync(join(outside, 'secret'), 'TOPSECRET\n');
      const file = root.file('tenant', 'swap-0', uid(41), 'app', 'app.log', 'harmless\n');
      await waitFor(() => ripgrep.catalog.generations('tenant', 'swap-0')[0]?.containers.get('app')?.files.has('app.log'), { what: 'the catalog lists the file' });
      unlinkSync(file);
      symlinkSync(join(outside, 'secret'), file);
      const rows = ndjson((await request(ripgrep.app).get('/api/v1/search?q=TOPSECRET').expect(200)).text);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.matches, 0);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('a FIFO in a pod folder is never handed to ripgrep (the search ends)', async () => {
    const dir = root.file('tenant', 'fifo-0', uid(42), 'app', 'app.log', 'ERROR in a file beside a FIFO\n');
    execFileSync('mkfifo', [join(dirname(dir), 'pipe.log')]);
    await waitFor(() => ripgrep.catalog.generations('tenant', 'fifo-0')[0]?.containers.get('app')?.files.has('app.log'), { what: 'the catalog lists the pod' });
    const rows = ndjson((await request(ripgrep.app).get('/api/v1/search?q=ERROR&pod=fifo-0').expect(200)).text);
    assert.equal(rows.filter((h) => !h.done).length, 1);
    assert.equal(rows.at(-1)!.stopped_by, 'done');
  });
});

describe('RE2 patterns rewritten for ripgrep', () => {
  test('ASCII classes and boundaries, literal brackets and braces, escaped punctuation', () => {
    assert.equal(toRustRegex('\\bjob\\d+\\B'), '(?-u:\\b)job[[:digit:]]+(?-u:\\B)');
    assert.equal(toRustRegex('[\\w\\s-]'), '[[:word:]\\t\\x0C\\r -]');
    assert.equal(toRustRegex('[^\\S]'), '[^[^\\t\\n\\x0C\\r ]]');
    assert.equal(toRustRegex('[a[&&~]'), '[a\\[\\&\\&\\~]');
    assert.equal(toRustRegex('[]a]x{,3}y{2,}}'), '[\\]a]x\\{,3\\}y{2,}\\}');
    assert.equal(toRustRegex('\\/\\"'), '\\x{2f}\\x{22}');
    assert.equal(toRustRegex('[[:alpha:]][[:^digit:]]\\pL\\p{Greek}'), '[[:alpha:]][[:^digit:]]\\pL\\p{Greek}');
  });
  test('no exact rewrite: the built-in engine runs the query', () => {
    for (const p of ['\\Qa.b\\E', '\\C', '\\1', '\\101', 'a\\nb', '\\x0a', '\\x{A}', '(?<n>a)', '[a--b]', 'a\nb']) assert.equal(toRustRegex(p), null, p);
  });
});
