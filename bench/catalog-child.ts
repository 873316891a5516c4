/** Child of bench/catalog.ts: scan one root with the real Catalog and print time, RSS and file count as JSON. */
import { pino } from 'pino';
import { Catalog } from '../src/store/catalog.ts';

const root = process.argv[2]!;
const t0 = performance.now();
const catalog = new Catalog({ roots: [root], logger: pino({ level: 'silent' }) });
await catalog.start(new AbortController().signal);
const ms = performance.now() - t0;
const rssMB = process.memoryUsage().rss / 1024 / 1024;
console.log(JSON.stringify({ ms, rssMB, files: catalog.stats().files }));
await catalog.stop();
