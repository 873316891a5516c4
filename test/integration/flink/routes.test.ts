/**
 * The Flink job story and HistoryServer link routes through the whole app (createApp, a real catalog over a
 * temporary root holding a real JobManager log from fixtures/flink/jobs, pod records as the cluster link keeps them).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { flinkApiRouter, flinkLinkRouter } from '../../../src/http/routes/flink.ts';
import { JobLogCache, jobStorySource } from '../../../src/flink/source.ts';
import { kubeDefaults } from '../../../src/kube/config.ts';
import type { PodRecord, PodRecords } from '../../../src/kube/records.ts';
import type { CatalogView } from '../../../src/store/types.ts';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';

const JM_LOG = readFileSync(join(import.meta.dirname, '../../../fixtures/flink/jobs/map-exception/jobmanager.log'));
const JOB_ID = /Submitting job 'orders-enrich' \(([0-9a-f]{32})\)/.exec(JM_LOG.toString('utf8'))![1]!;
const NS = 'flink-jobs';
const JM = 'orders-retry-5c8d7f9b6-q4v2n';
const TM = 'orders-retry-taskmanager-1-1';
const LEDGER_JM = 'ledger-sync-7b4f9c2d1-h6k8p';

function record(name: string, podUid: string, component: string, status: object, app = 'orders-retry'): PodRecord {
  return {
    version: 1, kind: 'Pod', namespace: NS, name, uid: podUid, scope: 'node', firstSeen: '2026-12-07T18:00:00Z', lastChange: '2026-12-07T18:30:00Z',
    events: [], pod: { metadata: { name, namespace: NS, uid: podUid, labels: { type: 'flink-native-kubernetes', app, component } }, spec: { containers: [{ name: 'flink-main-container' }] }, status },
  } as unknown as PodRecord;
}

describe('Flink job routes', () => {
  const root = makeRoot();
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  const records: PodRecords = {
    get: () => undefined,
    list: () => [
      record(JM, uid(1), 'jobmanager', { phase: 'Running', containerStatuses: [{ name: 'flink-main-container', ready: true, restartCount: 0, state: { running: { startedAt: '2026-12-07T18:19:00Z' } } }] }),
      record(TM, uid(2), 'taskmanager', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }] }),
      record(LEDGER_JM, uid(3), 'jobmanager', { phase: 'Running', containerStatuses: [{ name: 'flink-main-container', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-12-07T18:30:00Z' } } }] }, 'ledger-sync'),
    ],
    onChange: () => () => {},
  };
  before(async () => {
    root.file(NS, JM, uid(1), 'flink-main-container', 'jobmanager.log', JM_LOG);
    root.file(NS, TM, uid(2), 'flink-main-container', 'taskmanager.log', 'tm\n');
    root.file(NS, LEDGER_JM, uid(3), 'flink-main-container', 'jobmanager.log', readFileSync(join(import.meta.dirname, '../../../fixtures/flink/jobs/checkpoint-expired/jobmanager.log')));
    root.file(NS, LEDGER_JM, uid(3), 'flink-main-container', 'jobmanager.out', 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n');
    const catalog: CatalogView = { pods: () => t.catalog.pods(), generations: (n, p) => t.catalog.generations(n, p), onChange: (l) => t.catalog.onChange(l) };
    const logger = pino({ level: 'silent' });
    const cache = new JobLogCache({ catalog, logger });
    const source = jobStorySource({ catalog, records, config: kubeDefaults(), cache, logger, now: () => Date.parse('2026-12-07T19:00:00Z') });
    t = await buildTestApp(root, { apiRouters: [flinkApiRouter({ source, cache })], rootRouters: [flinkLinkRouter()] });
  });
  after(async () => {
    await t.close();
    root.cleanup();
  });

  test('GET /namespaces/{ns}/jobs/{job}/diagnosis tells the story first, then the pods', async () => {
    const res = await request(t.app).get(`/api/v1/namespaces/${NS}/jobs/orders-retry/diagnosis`).expect(200);
    assert.equal(res.body.subject.kind, 'FlinkJob');
    assert.equal(res.body.subject.jobManagerPod, JM);
    assert.equal(res.body.subject.jobManagerUid, uid(1));
    assert.equal(res.body.subject.jobManagerContainer, 'flink-main-container');
    assert.match(res.body.headline, /^Job orders-enrich \([0-9a-f]{32}\) FAILED after 3 restarts/);
    assert.ok(res.body.story.some((s: { text: string }) => /^Its 1 TaskManager pod is Pending — 0\/3 nodes are available: 3 Insufficient memory/.test(s.text)));
    const root = res.body.story.find((s: { text: string }) => s.text.startsWith('Root cause'));
    assert.equal(root.place.pod, JM);
    assert.match(JM_LOG.subarray(root.place.offset, root.place.offset + 40).toString('utf8'), /^Caused by: java\.io\.IOException/);
    assert.deepEqual(res.body.pods.map((p: { name: string; role: string }) => [p.name, p.role]).sort(), [[JM, 'jobmanager'], [TM, 'taskmanager']]);
    assert.deepEqual(res.body.logFiles, ['jobmanager.log']);
    const text = await request(t.app).get(`/api/v1/namespaces/${NS}/jobs/orders-retry/diagnosis`).set('Accept', 'text/plain').expect(200);
    assert.match(text.text, /^Job orders-enrich .*\n\nSubject: Flink job flink-jobs\/orders-retry, JobManager pod orders-retry-5c8d7f9b6-q4v2n\./);
    assert.ok(text.text.indexOf('What happened:') < text.text.indexOf('Pods:'));
  });

  test('a crashed JobManager: its exit, its log\'s last lines and its jobmanager.out', async () => {
    const res = await request(t.app).get(`/api/v1/namespaces/${NS}/jobs/ledger-sync/diagnosis`).expect(200);
    assert.match(res.body.headline, /^Job ledger-sync \([0-9a-f]{32}\) FAILED after 2 restarts/);
    const crash = res.body.story.find((s: { text: string }) => s.text.startsWith(`The JobManager pod ${LEDGER_JM} itself crashed`));
    assert.match(crash?.text ?? '', /crashed: Error \(exit code 1\) at 18:30:00\. Its log ends with:\n/);
    assert.match(crash?.text ?? '', /\nIts jobmanager\.out ends with:\n  Exception in thread "main" java\.lang\.OutOfMemoryError: Java heap space$/);
  });

  test('unknown job → 404, malformed names → 400', async () => {
    const nf = await request(t.app).get(`/api/v1/namespaces/${NS}/jobs/nope/diagnosis`).expect(404);
    assert.equal(nf.body.error.code, 'PODLOG_E_NOT_FOUND');
    const bad = await request(t.app).get('/api/v1/namespaces/Flink_Jobs/jobs/x/diagnosis').expect(400);
    assert.equal(bad.body.error.code, 'PODLOG_E_BAD_PARAM');
  });

  test('GET /flink/jobs/{jobid} locates the job\'s first JobManager line; the TaskManager link names its pod', async () => {
    const res = await request(t.app).get(`/api/v1/flink/jobs/${JOB_ID}`).expect(200);
    assert.equal(res.body.namespace, NS);
    assert.equal(res.body.pod, JM);
    assert.equal(res.body.uid, uid(1));
    assert.equal(res.body.container, 'flink-main-container');
    assert.equal(res.body.place.file, 'jobmanager.log');
    assert.match(JM_LOG.subarray(res.body.place.offset, res.body.place.offset + 200).toString('utf8'), new RegExp(`^\\d{4}-.* - Received JobGraph submission 'orders-enrich' \\(${JOB_ID}\\)`));
    const tm = await request(t.app).get(`/api/v1/flink/jobs/${JOB_ID}/taskmanagers/${TM}`).expect(200);
    assert.deepEqual(tm.body, { jobId: JOB_ID, namespace: NS, pod: TM });
    await request(t.app).get(`/api/v1/flink/jobs/${'0'.repeat(32)}`).expect(404);
    await request(t.app).get('/api/v1/flink/jobs/not-a-job-id').expect(400);
  });

  test('HistoryServer links redirect to the page', async () => {
    const jm = await request(t.app).get(`/flink/jobs/${JOB_ID}`).expect(302);
    assert.equal(jm.headers['location'], `/#/flink/jobs/${JOB_ID}`);
    const tm = await request(t.app).get(`/flink/jobs/${JOB_ID}/taskmanagers/${TM}`).expect(302);
    assert.equal(tm.headers['location'], `/#/flink/jobs/${JOB_ID}/taskmanagers/${TM}`);
    await request(t.app).get('/flink/jobs/..%2f..%2fetc').expect(400);
  });
});
