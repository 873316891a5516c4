import ipaddr from 'ipaddr.js';
import { PodlogError } from '../errors.ts';
import type { AuthConfig } from './config.ts';

/** True for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped loopback. An unparsable host is not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h.toLowerCase() === 'localhost') return true;
  if (!ipaddr.isValid(h)) return false;
  return ipaddr.process(h).range() === 'loopback';
}

/**
 * Refuse to serve every log to the network without authentication: with `auth.mode: none`
 * the listen address must be loopback unless `auth.allowNonLoopback` is set. Call before listening.
 * @param config `host` (listen address) and the `auth` section
 * @throws PodlogError `PODLOG_E_CONFIG` with what to change
 */
export function assertListenAllowed(config: { host: string; auth: Pick<AuthConfig, 'mode' | 'allowNonLoopback'> }): void {
  if (config.auth.mode !== 'none' || config.auth.allowNonLoopback || isLoopbackHost(config.host)) return;
  throw new PodlogError('PODLOG_E_CONFIG',
    `refusing to listen on ${config.host} with auth.mode none: anyone who reaches the port would read every log. ` +
    'Use --auth kubernetes or --auth token, listen on 127.0.0.1, or set auth.allowNonLoopback (PODLOG_AUTH_ALLOW_NON_LOOPBACK=true) to accept that.');
}
