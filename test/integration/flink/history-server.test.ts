/**
 * A real Flink 1.20.3 HistoryServer, serving the archive of a real failed job (fixtures/flink/jobs/map-exception),
 * with its log integration pointed at podlog: the links it hands out (`/jobs/<jobid>/jobmanager/log-url`,
 * `/jobs/<jobid>/taskmanagers/<tmid>/log-url`) are followed to podlog, which lands on the JobManager's log at the
 * job's first line and on the TaskManager pod. Skips loudly without Java or mvn.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { flinkApiRouter, flinkLinkRouter } from '../../../src/http/routes/flink.ts';
import { JobLogCache, jobStorySource } from '../../../src/flink/source.ts';
import { kubeDefaults } from '../../../src/kube/config.ts';
import type { CatalogView } from '../../../src/store/types.ts';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';
import { startHistoryServer, type HistoryServer } from '../../servers/flink-history.ts';

const DIR = join(import.meta.dirname, '../../../fixtures/flink/jobs/map-exception');
const JOB_ID = readdirSync(join(DIR, 'archive'))[0]!;
const NS = 'flink-jobs';
const JM = 'orders-retry-5c8d7f9b6-q4v2n';
const TM = 'orders-retry-taskmanager-1-1';

describe('Flink HistoryServer log links lead to podlog', { timeout: 600_000 }, () => {
  const root = makeRoot();
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  let server: Server;
  let podlog = '';
  let hs: HistoryServer | { skip: string };
  before(async () => {
    root.file(NS, JM, uid(1), 'flink-main-container', 'jobmanager.log', readFileSync(join(DIR, 'jobmanager.log')));
    root.file(NS, TM, uid(2), 'flink-main-container', 'taskmanager.log', 'tm\n');
    const catalog: CatalogView = { pods: () => t.catalog.pods(), generations: (n, p) => t.catalog.generations(n, p), onChange: (l) => t.catalog.onChange(l) };
    const logger = pino({ level: 'silent' });
    const cache = new JobLogCache({ catalog, logger });
    const source = jobStorySource({ catalog, config: kubeDefaults(), cache, logger });
    t = await buildTestApp(root, { apiRouters: [flinkApiRouter({ source, cache })], rootRouters: [flinkLinkRouter()] });
    server = createServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    podlog = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    hs = await startHistoryServer({
      archiveDir: join(DIR, 'archive'),
      jobManagerPattern: `${podlog}/flink/jobs/<jobid>`,
      taskManagerPattern: `${podlog}/flink/jobs/<jobid>/taskmanagers/<tmid>`,
      expectJob: JOB_ID,
    });
    if ('skip' in hs) process.stderr.write(`cannot start a Flink HistoryServer: ${hs.skip}\n`);
  });
  after(async () => {
    if (hs && !('skip' in hs)) await hs.close();
    await new Promise((r) => server?.close(r));
    await t?.close();
    root.cleanup();
  });

  test('the JobManager log link lands on the job\'s first line', async (c) => {
    if ('skip' in hs) return c.skip(hs.skip);
    const link = (await (await fetch(`${hs.url}/jobs/${JOB_ID}/jobmanager/log-url`)).json()) as { url: string };
    assert.equal(link.url, `${podlog}/flink/jobs/${JOB_ID}`);
    const hop = await fetch(link.url, { redirect: 'manual' });
    assert.equal(hop.status, 302);
    assert.equal(hop.headers.get('location'), `/#/flink/jobs/${JOB_ID}`);
    // what the page asks next
    const loc = (await (await fetch(`${podlog}/api/v1/flink/jobs/${JOB_ID}`)).json()) as { namespace: string; pod: string; uid: string; container: string; place: { file: string; offset: number } };
    assert.deepEqual([loc.namespace, loc.pod, loc.uid, loc.container, loc.place.file], [NS, JM, uid(1), 'flink-main-container', 'jobmanager.log']);
    const lines = (await (await fetch(`${podlog}/api/v1/namespaces/${NS}/pods/${JM}/containers/flink-main-container/files/jobmanager.log/lines?from=${loc.place.offset}&count=1&uid=${uid(1)}`)).json()) as { lines: { text: string }[] };
    assert.match(lines.lines[0]!.text, new RegExp(`Received JobGraph submission 'orders-enrich' \\(${JOB_ID}\\)`));
  });

  test('a TaskManager log link names the TaskManager pod', async (c) => {
    if ('skip' in hs) return c.skip(hs.skip);
    const link = (await (await fetch(`${hs.url}/jobs/${JOB_ID}/taskmanagers/${TM}/log-url`)).json()) as { url: string };
    assert.equal(link.url, `${podlog}/flink/jobs/${JOB_ID}/taskmanagers/${TM}`);
    const hop = await fetch(link.url, { redirect: 'manual' });
    assert.equal(hop.headers.get('location'), `/#/flink/jobs/${JOB_ID}/taskmanagers/${TM}`);
    const tm = (await (await fetch(`${podlog}/api/v1/flink/jobs/${JOB_ID}/taskmanagers/${TM}`)).json()) as { namespace: string; pod: string };
    assert.deepEqual(tm, { jobId: JOB_ID, namespace: NS, pod: TM });
  });
});
