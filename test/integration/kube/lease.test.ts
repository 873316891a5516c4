import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { FakeKube } from '../../servers/fake-kube.ts';
import { event, pod, startAgent, tempDir, waitFor, type Agent } from './helpers.ts';

let fake: FakeKube;
before(async () => {
  fake = new FakeKube();
  await fake.listen();
});
after(async () => {
  await fake.close();
});

test('two agents contend for the Lease: exactly one records pending pods and owners; on release the other takes over', async () => {
  const da = await tempDir();
  const db = await tempDir();
  const agents: Agent[] = [];
  try {
    const p = fake.create('pods', pod('pending-1', undefined, { app: 'big-job', component: 'taskmanager', type: 'flink-native-kubernetes' }));
    fake.create('events', event({ kind: 'Pod', namespace: 'flink', name: 'pending-1', uid: p.metadata.uid! }, 'FailedScheduling', '0/3 nodes are available: 3 Insufficient memory.', 'Warning'));
    fake.create('events', event({ kind: 'ReplicaSet', namespace: 'flink', name: 'big-job-5d8f', uid: 'rs-uid-9' }, 'FailedCreate', 'Error creating: pods "big-job-5d8f-x" is forbidden: exceeded quota: mem, requested: memory=8Gi, used: memory=60Gi, limited: memory=64Gi', 'Warning'));
    agents.push(await startAgent(fake, da.dir, { nodeName: 'node-a', identity: 'agent-a', peerAddress: 'http://10.0.0.1:8080' }));
    agents.push(await startAgent(fake, db.dir, { nodeName: 'node-b', identity: 'agent-b', peerAddress: 'http://10.0.0.2:8080' }));
    const [a, b] = agents as [Agent, Agent];
    await waitFor('a leader', () => a.link.lookup.isLeader() || b.link.lookup.isLeader());
    const leader = a.link.lookup.isLeader() ? a : b;
    const other = leader === a ? b : a;
    await waitFor('pending pod recorded with FailedScheduling', () => !!leader.link.records.get('flink', 'pending-1')?.events.find((e) => e.reason === 'FailedScheduling'));
    await waitFor('owner FailedCreate recorded', () => !!leader.link.lookup.owners().find((o) => o.kind === 'ReplicaSet' && o.events[0]?.reason === 'FailedCreate'));
    assert.equal(leader.link.records.get('flink', 'pending-1')!.scope, 'cluster');
    // Exactly one: the other agent sees the leader (with its published address) and records nothing cluster-wide.
    await waitFor('other sees the holder', () => !!other.link.lookup.leader());
    assert.equal(other.link.lookup.isLeader(), false);
    assert.equal(other.link.records.get('flink', 'pending-1'), undefined);
    assert.equal(other.link.lookup.owners().length, 0);
    assert.equal(other.link.lookup.leader()!.identity, leader === a ? 'agent-a' : 'agent-b');
    assert.equal(other.link.lookup.leader()!.address, leader === a ? 'http://10.0.0.1:8080' : 'http://10.0.0.2:8080');
    const lease = fake.get('leases', 'podlog', 'podlog-cluster-recorder')!;
    assert.match(lease.spec.renewTime, /\.\d{6}Z$/);

    // The leader stops (and releases): the other takes over and records the pending pod, whose Events it relists.
    await leader.link.stop();
    await waitFor('takeover', () => other.link.lookup.isLeader());
    await waitFor('new leader records the pending pod', () => !!other.link.records.get('flink', 'pending-1')?.events.find((e) => e.reason === 'FailedScheduling'));
    assert.equal(fake.get('leases', 'podlog', 'podlog-cluster-recorder')!.spec.leaseTransitions, 1);

    // The pod is finally scheduled to node-b: the record notes where it went.
    fake.update('pods', 'flink', 'pending-1', (o) => {
      o.spec.nodeName = 'node-b';
    });
    await waitFor('scheduled', () => {
      const r = other.link.records.get('flink', 'pending-1');
      return r?.node === 'node-b' && !r.deletedAt;
    });
  } finally {
    for (const x of agents) await x.link.stop();
    await da.cleanup();
    await db.cleanup();
  }
});
