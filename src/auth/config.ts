import { z } from 'zod';
import { zBool as bool, zList as list } from '../config/zod-helpers.ts';

const ms = (def: number) => z.coerce.number().int().positive().default(def);

/**
 * The `auth` section: who may call the API, and per-client limits.
 * Durations in ms, sizes in bytes, rates in requests per minute.
 */
export const AuthSchema = z.strictObject({
  mode: z.enum(['none', 'token', 'kubernetes']).default('none')
    .describe("'none': no authentication (demo and local use; refuses a non-loopback host unless allowNonLoopback); 'token': static bearer tokens from tokenFile; 'kubernetes': TokenReview + SubjectAccessReview"),
  tokenFile: z.string().optional()
    .describe("Mode 'token': YAML/JSON file {tokens:[{token|tokenSha256, user, namespaces:[ns|'*']}]} (mount it from a Secret); re-read when it changes"),
  allowNonLoopback: bool.default(false)
    .describe("Mode 'none' only: allow listening on a non-loopback address (everyone who can reach the port reads every log)"),
  cacheTtlMs: ms(10_000).describe('How long TokenReview and SubjectAccessReview answers are reused (ms)'),
  reviewTimeoutMs: ms(5_000).describe('Deadline of one TokenReview or SubjectAccessReview call (ms); past it the request fails with 502'),
  cacheMax: z.coerce.number().int().positive().default(10_000).describe('Most cached review answers (LRU)'),
  audiences: list(z.string().min(1)).default([]).describe('TokenReview spec.audiences (empty: the API server default)'),
  peerUsers: list(z.string().min(1)).default(['system:serviceaccount:podlog:podlog'])
    .describe("Kubernetes usernames of the agents' service account: a request authenticated as one of them may act for the user named in X-Podlog-Remote-User/-Group (a proxied request whose caller came through the trusted proxy)"),
  trustedProxy: z.strictObject({
    cidrs: list(z.string().min(1)).default([])
      .describe("Mode 'kubernetes': source addresses (CIDRs) of an authenticating proxy whose user/group headers are believed; empty = none (the headers are ignored)"),
    userHeader: z.string().min(1).default('X-Remote-User').describe('Header carrying the authenticated user name'),
    groupHeader: z.string().min(1).default('X-Remote-Group').describe('Header carrying a group (repeated or comma-separated)'),
  }).prefault({}),
  limits: z.strictObject({
    requestsPerMinute: z.coerce.number().int().positive().default(1200).describe('Requests per minute per client (user, or address when anonymous)'),
    authFailuresPerMinute: z.coerce.number().int().positive().default(30).describe('Failed authentications (401) per minute per source address, counted as they fail (successful requests never count, however long they stay open); past it the address gets 429 with Retry-After until the minute ends'),
    concurrentPerClient: z.coerce.number().int().positive().default(32).describe('Requests in progress at once per client (follow streams included)'),
    forwardedForCidrs: list(z.string().min(1)).default([])
      .describe('Load balancers or ingresses (CIDRs) whose X-Forwarded-For names the client for the per-address limits; never used for identity'),
    maxBodyBytes: z.coerce.number().int().min(0).default(16_384).describe('Largest request body accepted (bytes); the API takes none today'),
    maxUrlBytes: z.coerce.number().int().positive().default(8192).describe('Longest request target (path + query) accepted (bytes)'),
  }).prefault({}),
});

/** Parsed `auth` section. */
export type AuthConfig = z.output<typeof AuthSchema>;

