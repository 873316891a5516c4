import { NdjsonSink } from '../search/ndjson-sink.ts';
import type { Request, Response } from 'express';
import { onClose } from '../http/send-stream.ts';
import { fetchHead, forwardHeaders } from './forward.ts';
import type { Peer } from './peers.ts';

/** What a fan-out needs. */
export interface FanoutOptions {
  selfNode: string;
  saToken: () => Promise<string>;
  /** A peer must start answering within this (ms). */
  deadlineMs: number;
}

/** The final line of a cluster-wide search (the per-node summaries added up). */
export interface ClusterSearchSummary {
  done: true;
  stopped_by: string;
  bytes_scanned: number;
  files_searched: number;
  files_skipped: number;
  matches: number;
  /** Nodes that answered completely. */
  nodes: string[];
  /** True when a node did not answer (or broke off), or an agent's first scan was still running: results are incomplete. */
  partial: boolean;
  /** Nodes (or peer URLs when the node is unknown) that did not answer. */
  failed_nodes: string[];
}

const nameOf = (p: Peer) => p.node || p.url;

/** Non-empty lines of an NDJSON body as they arrive; a stream error (abort, reset) is thrown to the caller. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  const reader = body.getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) yield line;
      }
    }
    buf += dec.decode();
    if (buf) yield buf;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * Which agent's answer about a pod wins when several have one: the agent with its log files (2), else the
 * agent of the node the pod ran on (1), else any (0) — e.g. the elected agent's record of a pod that was
 * pending before it was scheduled.
 */
function rankOf(item: Record<string, unknown>, answeredBy: string): number {
  const files = Array.isArray(item.containers) && item.containers.length > 0 ? 2 : 0;
  return files + (answeredBy !== '' && item.node === answeredBy ? 1 : 0);
}

/** The request's query string with `local=1` added, for asking each agent about its own files. */
function localQuery(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  const q = new URLSearchParams(i >= 0 ? req.originalUrl.slice(i + 1) : '');
  q.set('local', '1');
  return q.toString();
}

/** Worst first: a bound that cut the search short is worth reporting over 'done'. */
const OUTCOME_RANK = ['aborted', 'deadline', 'budget', 'limit', 'done'];

/**
 * Cluster-wide search: ask every agent (`/api/v1/search?…&local=1`, the caller passed on) in
 * parallel and stream hits to the caller as they arrive, each with `node` added, until `limit` hits
 * (then the others are cancelled). The last line is a {@link ClusterSearchSummary}: `partial: true` and
 * `failed_nodes` name the agents that could not be reached, answered with an error, or ended without
 * their summary line (or not within `overallMs`). Hits keep each node's order; across nodes they interleave by arrival.
 */
export async function fanoutSearch(req: Request, res: Response, peers: Peer[], limit: number, o: FanoutOptions & { overallMs: number }): Promise<void> {
  const headers = { ...(await forwardHeaders(req, o.selfNode, o.saToken)), accept: 'application/x-ndjson' };
  const query = localQuery(req);
  const ac = new AbortController();
  onClose(res, () => ac.abort());
  // each agent bounds its own search (search.deadlineMs); this bounds an agent whose stream stalls
  const overall = setTimeout(() => ac.abort(), o.overallMs);
  res.status(200).type('application/x-ndjson; charset=utf-8').setHeader('Cache-Control', 'no-store');
  res.flushHeaders();
  const total: ClusterSearchSummary = { done: true, stopped_by: 'done', bytes_scanned: 0, files_searched: 0, files_skipped: 0, matches: 0, nodes: [], partial: false, failed_nodes: [] };
  let written = 0;
  const sink = new NdjsonSink(res); // batched writes; each peer's reader waits while the caller does not read
  let scanning = false; // an agent whose first scan still runs searched the files found so far

  await Promise.all(peers.map(async (p) => {
    let summary: Record<string, unknown> | undefined;
    try {
      const up = await fetchHead(`${p.url}/api/v1/search?${query}`, { headers, signal: ac.signal }, o.deadlineMs, `agent ${nameOf(p)}`);
      if (up.status !== 200 || !up.body) {
        await up.body?.cancel();
        throw new Error(`HTTP ${up.status}`);
      }
      for await (const line of ndjsonLines(up.body)) {
        const obj = JSON.parse(line) as Record<string, unknown>;
        if (obj.done === true) {
          summary = obj;
          break;
        }
        if (written >= limit) continue;
        written++;
        const pushed = sink.push(JSON.stringify({ ...obj, node: p.node || undefined }));
        if (written >= limit) {
          total.stopped_by = 'limit';
          ac.abort();
        } else if (pushed !== true && !(await pushed)) {
          ac.abort(); // the caller went away
        }
      }
    } catch {
      // reported below as a failed node, unless we cancelled it ourselves
    }
    if (summary) {
      total.nodes.push(nameOf(p));
      total.bytes_scanned += Number(summary.bytes_scanned ?? 0);
      total.files_searched += Number(summary.files_searched ?? 0);
      total.files_skipped += Number(summary.files_skipped ?? 0);
      if (summary.partial === true) scanning = true;
      const s = String(summary.stopped_by ?? 'done');
      if (total.stopped_by !== 'limit' && OUTCOME_RANK.indexOf(s) >= 0 && OUTCOME_RANK.indexOf(s) < OUTCOME_RANK.indexOf(total.stopped_by)) total.stopped_by = s;
    } else if (total.stopped_by !== 'limit' && !res.destroyed) {
      total.failed_nodes.push(nameOf(p));
    }
  }));
  clearTimeout(overall);
  total.matches = written;
  total.partial = total.failed_nodes.length > 0 || scanning;
  total.nodes.sort();
  total.failed_nodes.sort();
  if (!res.destroyed && !res.writableEnded) await sink.end(JSON.stringify(total));
}

/**
 * Cluster-wide pod listing: ask every agent (`/api/v1/pods?…&local=1`) in parallel, each within the
 * deadline; answer `{"items":[…each with node…], "partial", "failed_nodes"}`, newest activity first, one
 * item per pod uid (see {@link rankOf}).
 */
export async function fanoutPods(req: Request, res: Response, peers: Peer[], o: FanoutOptions): Promise<void> {
  const headers = { ...(await forwardHeaders(req, o.selfNode, o.saToken)), accept: 'application/json' };
  const query = localQuery(req);
  const ac = new AbortController();
  onClose(res, () => ac.abort());
  const timer = setTimeout(() => ac.abort(), o.deadlineMs);
  // One item per pod generation: the elected agent also keeps records of pods that were pending (every pod
  // is, briefly), and a former one keeps its own; the answer of the pod's own node wins over those.
  const byUid = new Map<string, { item: Record<string, unknown>; rank: number }>();
  const unkeyed: Array<Record<string, unknown>> = [];
  const keep = (item: Record<string, unknown>, rank: number) => {
    const uid = typeof item.uid === 'string' ? item.uid : undefined;
    if (!uid) return void unkeyed.push(item);
    const had = byUid.get(uid);
    if (!had || rank > had.rank) byUid.set(uid, { item, rank });
  };
  const failed: string[] = [];
  let scanning = false; // an agent whose first scan still runs listed what it found so far
  try {
    await Promise.all(peers.map(async (p) => {
      try {
        const up = await fetchHead(`${p.url}/api/v1/pods?${query}`, { headers, signal: ac.signal }, o.deadlineMs, `agent ${nameOf(p)}`);
        if (up.status !== 200) {
          await up.body?.cancel();
          throw new Error(`HTTP ${up.status}`);
        }
        const body = (await up.json()) as { items?: Array<Record<string, unknown>>; partial?: boolean };
        for (const it of body.items ?? []) keep({ ...it, node: p.node || undefined }, rankOf(it, p.node));
        if (body.partial === true) scanning = true;
      } catch {
        failed.push(nameOf(p));
      }
    }));
  } finally {
    clearTimeout(timer);
  }
  const items = [...[...byUid.values()].map((x) => x.item), ...unkeyed];
  items.sort((a, b) => Number(b.lastActivity ?? 0) - Number(a.lastActivity ?? 0));
  res.setHeader('Cache-Control', 'no-store');
  res.json({ items, partial: failed.length > 0 || scanning, failed_nodes: failed.sort() });
}
