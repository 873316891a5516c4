/**
 * The Elasticsearch side of shipping: client construction (API key or basic auth, CA for TLS), the
 * `_bulk` call used by the sink (client retries off: the sink owns the retry loop), and the idempotent
 * index template install. Wire facts: PROTOCOLS.md A1–A5.
 */
import { Client, errors } from '@elastic/elasticsearch';
import type { ShipConfig, ShipSecrets } from './config.ts';
import { indexTemplate } from './ecs.ts';
import type { BulkSend, ItemResult } from './sink.ts';

/**
 * Build a client for `cfg.esUrl` with the given secrets. `maxRetries: 0` (the sink retries),
 * `requestTimeout` from config, no sniffing, no compression.
 * @throws Error when `cfg.esUrl` is unset
 */
export function createEsClient(cfg: ShipConfig, secrets: ShipSecrets): Client {
  if (!cfg.esUrl) throw new Error('ship.esUrl is not set');
  const auth = secrets.apiKey
    ? { apiKey: secrets.apiKey }
    : secrets.username
      ? { username: secrets.username, password: secrets.password ?? '' }
      : undefined;
  return new Client({
    node: cfg.esUrl,
    ...(auth ? { auth } : {}),
    ...(secrets.ca ? { tls: { ca: secrets.ca } } : {}),
    maxRetries: 0,
    requestTimeout: cfg.requestTimeoutMs,
  });
}

interface BulkItemBody {
  status?: number;
  error?: { type?: string; reason?: string };
}

/**
 * The sink's {@link BulkSend} over a client: `POST /_bulk?filter_path=errors,items.*.status,items.*.error`.
 * Items come back in request order (PROTOCOLS.md A2); non-2xx whole responses and connection errors
 * reject.
 */
export function clientBulkSend(client: Client, requestTimeoutMs: number): BulkSend {
  return async (body, _count, signal) => {
    const res = await client.bulk(
      { operations: body as never, filter_path: ['errors', 'items.*.status', 'items.*.error'] },
      { signal, maxRetries: 0, requestTimeout: requestTimeoutMs },
    );
    const out: ItemResult[] = [];
    for (const item of res.items ?? []) {
      const body = (Object.values(item)[0] ?? {}) as BulkItemBody;
      const r: ItemResult = { status: body.status ?? 0 };
      if (body.error?.type !== undefined) r.type = body.error.type;
      if (body.error?.reason !== undefined) r.reason = body.error.reason;
      out.push(r);
    }
    return out;
  };
}

/**
 * Install (or overwrite with the same body, so idempotent) the index template for the data stream
 * pattern: `PUT /_index_template/<cfg.templateName>`. Text fields use the `pattern` analyzer; when the
 * server lacks it (400 naming the analyzer: a distribution without the analysis-common module) the
 * template is installed with the standard analyzer instead.
 * @returns the analyzer the template uses
 * @throws the client's error when Elasticsearch refuses or is unreachable (the caller retries)
 */
export async function ensureTemplate(client: Client, cfg: ShipConfig): Promise<'pattern' | 'standard'> {
  try {
    await client.indices.putIndexTemplate({ name: cfg.templateName, ...(indexTemplate(cfg.dataStream, 'pattern') as object) });
    return 'pattern';
  } catch (e) {
    if (!(isResponseError(e) && e.statusCode === 400 && /analyzer/i.test(JSON.stringify(e.body ?? '')))) throw e;
  }
  await client.indices.putIndexTemplate({ name: cfg.templateName, ...(indexTemplate(cfg.dataStream, 'standard') as object) });
  return 'standard';
}

/** True when the error is a response from Elasticsearch (not a connection failure). */
export function isResponseError(e: unknown): e is errors.ResponseError {
  return e instanceof errors.ResponseError;
}
