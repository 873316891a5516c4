/**
 * Benchmark: follow latency, append → SSE event received by an HTTP client (goal p99 ≤ 100 ms).
 * Peer: `tail -F` on the same file in the same run (append → line on tail's stdout).
 * Run: node bench/follow.ts [--samples 200]
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.ts';
import { startAgent } from '../src/main.ts';
import type { BenchRow } from './row.ts';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Append `samples` stamped lines, 20 ms apart, and time their arrival over SSE and through `tail -F`. */
export async function benchFollow(samples = 200): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'podlog-bench-follow-'));
  const dir = join(root, 'flink-jobs_tm-1-1_0b0f3f0e-6f2c-4e3a-9c1d-000000000001', 'flink-main-container');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'taskmanager.log');
  writeFileSync(file, '');
  const config = loadConfig({ flags: { roots: [root], stateDir: join(root, '.state'), port: 0, host: '127.0.0.1' } });
  const agent = await startAgent(config, pino({ level: 'silent' }));
  const sent = new Map<number, number>();
  const sse: number[] = [];
  const tailLat: number[] = [];
  const ac = new AbortController();
  try {
    const res = await fetch(`${agent.url}/api/v1/namespaces/flink-jobs/pods/tm-1-1/containers/flink-main-container/files/taskmanager.log/follow?offset=0`, { signal: ac.signal });
    const tail = spawn('tail', ['-F', '-n', '0', file]);
    tail.stdout.setEncoding('utf8').on('data', (d: string) => {
      for (const m of d.matchAll(/seq=(\d+)/g)) tailLat.push(performance.now() - sent.get(Number(m[1]))!);
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        for (const m of value!.matchAll(/seq=(\d+)/g)) sse.push(performance.now() - sent.get(Number(m[1]))!);
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < samples; i++) {
      sent.set(i, performance.now());
      appendFileSync(file, `2026-11-20 10:00:00,000 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - seq=${i}\n`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const deadline = Date.now() + 5000;
    while ((sse.length < samples || tailLat.length < samples) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    tail.kill();
    return [
      { name: `follow latency p50 (${sse.length}/${samples} lines)`, value: `${pct(sse, 50).toFixed(1)} ms`, peer: `tail -F: ${pct(tailLat, 50).toFixed(1)} ms` },
      { name: 'follow latency p99', value: `${pct(sse, 99).toFixed(1)} ms`, peer: `tail -F: ${pct(tailLat, 99).toFixed(1)} ms`, ratio: `${(pct(sse, 99) / Math.max(0.1, pct(tailLat, 99))).toFixed(1)}× tail's`, goal: '≤ 100 ms' },
    ];
  } finally {
    ac.abort();
    await agent.close();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '200' } } });
  console.table(await benchFollow(Number(values.samples)));
}
