/**
 * A minimal agent for the crash test: runs the shipper over `<root>` with `--ship-namespace flink`
 * semantics until killed. argv: root stateDir esUrl. Prints `started` once running.
 */
import { Registry } from 'prom-client';
import { shipConfigSchema } from '../../../src/ship/config.ts';
import { createShipper } from '../../../src/ship/index.ts';
import { createEsClient } from '../../../src/ship/es-client.ts';
import { dirCatalog, logger } from './helpers.ts';

const [root, state, url] = process.argv.slice(2);
const config = shipConfigSchema.parse({
  esUrl: url, namespaces: ['flink'], pollMs: 50, checkpointIntervalMs: 50, multilineTimeoutMs: 100,
  flushBytes: 128 * 1024, flushIntervalMs: 20, concurrency: 3, backoffInitialMs: 20, backoffMaxMs: 200,
});
const shipper = createShipper({
  catalog: dirCatalog(root!), priorityOf: () => undefined, config, client: createEsClient(config, {}),
  stateDir: state!, logger, metrics: new Registry(), hostName: 'node-1',
});
await shipper.start(new AbortController().signal);
process.stdout.write('started\n');
setInterval(() => {
  void shipper.caughtUp().then((up) => up && process.stdout.write('caught-up\n'));
}, 100);
