/**
 * The job story and the HistoryServer lookups across agents and under authentication: real agents on loopback
 * (test/integration/cluster/agents.ts), the JobManager's log on one node only, static bearer tokens per namespace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ClusterRouting } from '../../../src/http/routes/cluster.ts';
import { flinkApiRouter, flinkLinkRouter } from '../../../src/http/routes/flink.ts';
import type { CatalogView } from '../../../src/store/types.ts';
import { JobLogCache, jobStorySource } from '../../../src/flink/source.ts';
import { kubeDefaults } from '../../../src/kube/config.ts';
import { uid } from '../../helpers/agent.ts';
import { startAgents } from '../cluster/agents.ts';

const JOBS = join(import.meta.dirname, '../../../fixtures/flink/jobs');
const MAP = readFileSync(join(JOBS, 'map-exception/jobmanager.log'));
const SLOTS = readFileSync(join(JOBS, 'not-enough-slots/jobmanager.log'));
const idOf = (log: Buffer) => /Submitting job '[^']+' \(([0-9a-f]{32})\)/.exec(log.toString('utf8'))![1]!;
const ALICE = 'alice-static-token-0123456789';

const routers = ({ catalog, cluster, logger }: { catalog: CatalogView; cluster: ClusterRouting; logger: Logger }) => {
  const cache = new JobLogCache({ catalog, logger });
  return { apiRouters: [flinkApiRouter({ source: jobStorySource({ catalog, config: kubeDefaults(), cache, logger }), cache, cluster })], rootRouters: [flinkLinkRouter()] };
};

describe('job story across agents', () => {
  let env: Awaited<ReturnType<typeof startAgents>>;
  before(async () => {
    env = await startAgents([
      { node: 'node-a', files: (root) => root.file('flink-jobs', 'orders-retry-taskmanager-1-1', uid(2), 'flink-main-container', 'taskmanager.log', 'tm\n') },
      { node: 'node-b', files: (root) => root.file('flink-jobs', 'orders-retry-5c8d7f9b6-q4v2n', uid(1), 'flink-main-container', 'jobmanager.log', MAP) },
    ], undefined, { routers });
  });
  after(async () => {
    await env.close();
  });

  test('an agent without the JobManager\'s log gets the story from the agent that has it', async () => {
    const res = await fetch(`${env.byNode('node-a').url}/api/v1/namespaces/flink-jobs/jobs/orders-retry/diagnosis`);
    assert.equal(res.status, 200);
    const d = (await res.json()) as { headline: string; subject: { jobManagerPod: string }; logFiles: string[] };
    assert.match(d.headline, /^Job orders-enrich \([0-9a-f]{32}\) FAILED after 3 restarts/);
    assert.equal(d.subject.jobManagerPod, 'orders-retry-5c8d7f9b6-q4v2n');
    assert.deepEqual(d.logFiles, ['jobmanager.log']);
    const text = await fetch(`${env.byNode('node-a').url}/api/v1/namespaces/flink-jobs/jobs/orders-retry/diagnosis`, { headers: { accept: 'text/plain' } });
    assert.match(await text.text(), /^Job orders-enrich .*\n\nSubject: Flink job flink-jobs\/orders-retry, JobManager pod orders-retry-5c8d7f9b6-q4v2n\./);
  });

  test('a HistoryServer link resolves on any agent', async () => {
    const res = await fetch(`${env.byNode('node-a').url}/api/v1/flink/jobs/${idOf(MAP)}`);
    assert.equal(res.status, 200);
    const loc = (await res.json()) as { pod: string; uid: string };
    assert.deepEqual([loc.pod, loc.uid], ['orders-retry-5c8d7f9b6-q4v2n', uid(1)]);
    assert.equal((await fetch(`${env.byNode('node-a').url}/api/v1/flink/jobs/${'f'.repeat(32)}`)).status, 404);
  });
});

describe('job story under bearer tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-flink-tokens-'));
  const tokenFile = join(dir, 'tokens.yaml');
  let env: Awaited<ReturnType<typeof startAgents>>;
  let base = '';
  const get = (path: string, token?: string) => fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'manual' });
  before(async () => {
    writeFileSync(tokenFile, `tokens:\n  - {token: "${ALICE}", user: alice, namespaces: [team-a]}\n`);
    env = await startAgents([{
      node: 'node-a',
      auth: { mode: 'token', tokenFile },
      files: (root) => {
        root.file('team-a', 'orders-retry-5c8d7f9b6-q4v2n', uid(1), 'flink-main-container', 'jobmanager.log', MAP);
        root.file('team-b', 'clickstream-sessions-6f2a8d4c9-t3r7m', uid(2), 'flink-main-container', 'jobmanager.log', SLOTS);
      },
    }], undefined, { clustered: false, routers });
    base = env.agents[0]!.url;
  });
  after(async () => {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no token 401; own namespace 200; another namespace 403, and its job ids are unknown (404)', async () => {
    assert.equal((await get('/api/v1/namespaces/team-a/jobs/orders-retry/diagnosis')).status, 401);
    assert.equal((await get('/api/v1/namespaces/team-a/jobs/orders-retry/diagnosis', ALICE)).status, 200);
    assert.equal((await get('/api/v1/namespaces/team-b/jobs/clickstream-sessions/diagnosis', ALICE)).status, 403);
    assert.equal((await get(`/api/v1/flink/jobs/${idOf(MAP)}`, ALICE)).status, 200);
    const other = await get(`/api/v1/flink/jobs/${idOf(SLOTS)}`, ALICE);
    assert.equal(other.status, 404);
    assert.doesNotMatch(await other.text(), /team-b|clickstream/);
    assert.equal((await get(`/api/v1/flink/jobs/${idOf(MAP)}`)).status, 401);
  });

  test('the HistoryServer link itself needs no token: it only redirects to the page', async () => {
    const res = await get(`/flink/jobs/${idOf(SLOTS)}`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), `/#/flink/jobs/${idOf(SLOTS)}`);
  });
});
