import { z } from 'zod';
import { zList as list } from '../config/zod-helpers.ts';
import { SERVICE_ACCOUNT_TOKEN } from '../kube/connect.ts';

const ms = (def: number) => z.coerce.number().int().positive().default(def);

/**
 * The `cluster` section: how an agent finds the other agents and talks to them.
 */
export const ClusterSchema = z.strictObject({
  peers: list(z.string().min(1)).default([])
    .describe('Static peer agents, each `node=http://host:port` or a bare URL (tests, or clusters without the headless Service)'),
  peerService: z.string().optional().describe('Headless Service selecting the agents; its EndpointSlices list the peers'),
  peerNamespace: z.string().default('podlog').describe('Namespace of peerService'),
  peerPort: z.coerce.number().int().min(1).max(65535).default(8080).describe('Agent port when the EndpointSlice names none'),
  peerScheme: z.enum(['http', 'https']).default('http').describe('Scheme used to reach peers'),
  peerRefreshMs: ms(10_000).describe('How long a discovered peer list is reused (ms)'),
  peerDeadlineMs: ms(3_000).describe('Deadline for a peer to answer a locate or to start answering a proxied request or fan-out (ms)'),
  locateCacheMs: ms(15_000).describe('How long a located pod→node answer is reused (ms)'),
  tokenFile: z.string().default(SERVICE_ACCOUNT_TOKEN)
    .describe("This agent's service account token, sent to peers when it acts for a user who came through the trusted proxy"),
});

/** Parsed `cluster` section. */
export type ClusterConfig = z.output<typeof ClusterSchema>;
