/**
 * Streamed responses against clients that misbehave, on a real agent process: a client that resets the
 * connection at any byte (before the body, at its first byte, mid-way) leaves the agent serving and holding
 * no file descriptor; a client that never reads stops a follow from reading the file (back-pressure);
 * `HEAD` answers from fstat without reading the file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateLog, startAgent, tempDirs, type AgentProcess } from '../../e2e/harness.ts';
import { uid } from '../../helpers/agent.ts';
import { waitFor } from '../../helpers/wait.ts';

const F = '/api/v1/namespaces/team-a/pods/web-1/containers/app/files';
const FILE_ROUTE = '/api/v1/namespaces/:ns/pods/:pod/containers/:container/files/:file';
const MiB = 1024 * 1024;
/** Lifted so that one address may open many connections at once (the limits are tested elsewhere). */
const LIMITS = {
  PODLOG_AUTH_LIMITS_REQUESTS_PER_MINUTE: '100000',
  PODLOG_AUTH_LIMITS_AUTH_FAILURES_PER_MINUTE: '100000',
  PODLOG_AUTH_LIMITS_CONCURRENT_PER_CLIENT: '1000',
};

/** Send a raw GET and reset the connection (RST, SO_LINGER 0) once `afterBytes` bytes arrived (0: right after sending). */
function resetAt(url: string, path: string, afterBytes: number, headers: Record<string, string> = {}): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let got = 0;
    const s: Socket = connect(Number(port), hostname, () => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${extra}\r\n`, () => {
        if (afterBytes === 0) s.resetAndDestroy();
      });
    });
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= afterBytes && !s.destroyed) s.resetAndDestroy();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
  });
}

/** Descriptors the agent process holds open on files under `dir`. */
function openFilesUnder(pid: number, dir: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // closed between the listing and the readlink
    }
  }
  return out;
}

/** Sum of a metric's samples whose label set contains `labels` (e.g. `route="…"`). */
async function metric(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
  }
  return sum;
}

describe('streamed responses and clients that hang up, stall or only ask for headers', () => {
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  let agent: AgentProcess;
  let folder: string;

  before(async () => {
    dirs = await tempDirs('podlog-streams-');
    folder = join(dirs.root, `team-a_web-1_${uid(1)}`, 'app');
    await generateLog(join(folder, 'app.log'), 8 * MiB, 'last line');
    await generateLog(join(folder, 'big.log'), 64 * MiB, 'last line');
    writeFileSync(join(folder, 'app.log.1.gz'), gzipSync(readFileSync(join(folder, 'app.log')), { level: 1 }));
    const cri: string[] = [];
    for (let i = 0; i < 40_000; i++) cri.push(`2026-11-20T10:00:00.${String(i).padStart(9, '0')}Z stdout F record ${i} of the CRI copy, with some padding text after it\n`);
    writeFileSync(join(folder, 'stdio-0.cri.log'), cri.join(''));
    agent = await startAgent(dirs.root, dirs.state, 30_000, [], LIMITS);
  });
  after(async () => {
    await agent?.stop();
    await dirs?.cleanup();
  });

  const cases: Array<[string, string, Record<string, string>?]> = [
    ['bytes', `${F}/app.log`],
    ['a Range', `${F}/app.log`, { Range: 'bytes=100-6000000' }],
    ['a download', `${F}/app.log?download=1`],
    ['a decompressed .gz', `${F}/app.log.1.gz`],
    ['a CRI-decoded copy', `${F}/stdio-0.cri.log`],
    ['a tail as text', `${F}/app.log?tail=20000`],
    ['a window of lines', `${F}/app.log/lines?from=0&count=20000`],
    ['a follow', `${F}/app.log/follow?offset=0`],
  ];
  for (const [what, path, headers] of cases) {
    test(`${what}: clients resetting before the body, at its first byte and mid-way leave the agent serving and no file open`, async () => {
      for (const at of [0, 1, 100_000]) {
        await Promise.all(Array.from({ length: 10 }, () => resetAt(agent.url, path, at, headers)));
      }
      assert.equal(agent.child.exitCode, null, 'the agent is still running');
      const health = await fetch(`${agent.url}/healthz`);
      assert.equal(health.status, 200);
      await waitFor(() => openFilesUnder(agent.child.pid!, dirs.root).length === 0, { what: 'every file descriptor closed' });
      const again = await fetch(`${agent.url}${path}`, { headers });
      assert.ok(again.status === 200 || again.status === 206, `still served: ${again.status}`);
      await again.body?.cancel();
    });
  }

  test('responses cut short are counted by route', async () => {
    assert.ok((await metric(agent.url, 'podlog_http_aborted_responses_total', `route="${FILE_ROUTE}"`)) > 0);
    assert.ok((await metric(agent.url, 'podlog_http_aborted_responses_total', `route="${FILE_ROUTE}/follow"`)) > 0);
  });

  test('a follow from offset 0 of a 64 MiB file by a client that never reads stops reading the file', async () => {
    const served0 = await metric(agent.url, 'podlog_bytes_served_total');
    const { hostname, port } = new URL(agent.url);
    const s = connect(Number(port), hostname, () => s.write(`GET ${F}/big.log/follow?offset=0 HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`));
    s.pause(); // never read: the kernel buffers fill, then the agent's socket reports back-pressure
    s.on('error', () => {});
    try {
      await waitFor(async () => (await metric(agent.url, 'podlog_follow_stalled_clients')) === 1, { what: 'the follow to wait for its client' });
      const stalled = (await metric(agent.url, 'podlog_bytes_served_total')) - served0;
      // another round trip while it waits: still paused, nothing more read
      await waitFor(async () => (await metric(agent.url, 'podlog_follow_stalled_clients')) === 1);
      const later = (await metric(agent.url, 'podlog_bytes_served_total')) - served0;
      assert.ok(stalled > 0, 'the follow started');
      // what a stalled follow read: the kernel's socket buffers (up to tcp_wmem's 4 MiB maximum) plus one frame
      assert.ok(later < 8 * MiB, `read ${later} bytes of a ${statSync(join(folder, 'big.log')).size}-byte file for a client that reads nothing`);
    } finally {
      s.resetAndDestroy();
    }
    await waitFor(async () => (await metric(agent.url, 'podlog_follow_stalled_clients')) === 0, { what: 'the stalled follow to end' });
    await waitFor(() => openFilesUnder(agent.child.pid!, dirs.root).length === 0, { what: 'the follow to close its file' });
  });

  test('a download of a 64 MiB file by a client that never reads stops reading the file', async () => {
    const served0 = await metric(agent.url, 'podlog_bytes_served_total');
    const { hostname, port } = new URL(agent.url);
    const s = connect(Number(port), hostname, () => s.write(`GET ${F}/big.log?download=1 HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`));
    s.pause();
    s.on('error', () => {});
    try {
      // no gauge for piped bodies: wait until the count stops moving over 20 polls in a row
      let last = -1;
      let same = 0;
      const read = await waitFor(async () => {
        const v = (await metric(agent.url, 'podlog_bytes_served_total')) - served0;
        same = v === last ? same + 1 : 0;
        last = v;
        return same >= 20 && v > 0 ? v : undefined;
      }, { what: 'the download to stall' });
      assert.ok(read < 8 * MiB, `read ${read} bytes for a client that reads nothing`);
    } finally {
      s.resetAndDestroy();
    }
    await waitFor(() => openFilesUnder(agent.child.pid!, dirs.root).length === 0, { what: 'the download to close its file' });
  });

  test('HEAD answers the headers from fstat and reads no byte of the file', async () => {
    const size = statSync(join(folder, 'big.log')).size;
    const served0 = await metric(agent.url, 'podlog_bytes_served_total');
    const head = await fetch(`${agent.url}${F}/big.log`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(size));
    assert.equal(head.headers.get('accept-ranges'), 'bytes');
    assert.equal(head.headers.get('last-modified'), new Date(statSync(join(folder, 'big.log')).mtimeMs).toUTCString());
    assert.match(head.headers.get('content-type') ?? '', /^text\/plain/);
    const range = await fetch(`${agent.url}${F}/big.log`, { method: 'HEAD', headers: { Range: 'bytes=10-19' } });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get('content-range'), `bytes 10-19/${size}`);
    for (const name of ['app.log.1.gz', 'stdio-0.cri.log']) assert.equal((await fetch(`${agent.url}${F}/${name}`, { method: 'HEAD' })).status, 200);
    const follow = await fetch(`${agent.url}${F}/big.log/follow?offset=0`, { method: 'HEAD' });
    assert.equal(follow.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(await metric(agent.url, 'podlog_bytes_served_total'), served0, 'no byte read');
  });
});
