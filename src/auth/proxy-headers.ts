import ipaddr from 'ipaddr.js';
import type { IncomingHttpHeaders } from 'node:http';
import { PodlogError } from '../errors.ts';

/** True when the source address lies in one of the configured ranges. */
export type AddressTrust = (remoteAddress: string | undefined) => boolean;

/**
 * Compile CIDRs (`10.0.0.0/8`, `fd00::/8`, a bare address = a single host) into a matcher. IPv4-mapped IPv6
 * sources (`::ffff:10.1.2.3`, what a dual-stack socket reports) match IPv4 ranges (ipaddr.js `process`).
 * @param key the config key, for the error message
 * @throws PodlogError `PODLOG_E_CONFIG` naming an invalid entry
 */
export function compileTrust(cidrs: readonly string[], key = 'auth.trustedProxy.cidrs'): AddressTrust {
  const ranges = cidrs.map((c) => {
    try {
      if (ipaddr.isValidCIDR(c)) return ipaddr.parseCIDR(c);
      const a = ipaddr.process(c);
      return [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    } catch {
      throw new PodlogError('PODLOG_E_CONFIG', `${key}: "${c}" is not an IP address or CIDR range`);
    }
  });
  if (ranges.length === 0) return () => false;
  return (remote) => {
    if (!remote || !ipaddr.isValid(remote)) return false;
    const a = ipaddr.process(remote);
    return ranges.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
  };
}

/** Every value of a header, repeated or comma-separated, trimmed, empty ones dropped. */
export function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const v = headers[name.toLowerCase()];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** A user asserted by an authenticating proxy. */
export interface ProxyUser {
  user: string;
  groups: string[];
}

/**
 * Read the user and groups an authenticating proxy put in front of the agent asserts (Kubernetes'
 * own "authenticating proxy" scheme: `X-Remote-User`, `X-Remote-Group`). The headers are believed only
 * when the TCP peer (`remoteAddress`, the socket's, never `X-Forwarded-For`) is trusted; otherwise they are ignored.
 * @returns the user, or undefined (untrusted source, or no user header)
 */
export function proxyUser(trust: AddressTrust, remoteAddress: string | undefined, headers: IncomingHttpHeaders,
  names: { userHeader: string; groupHeader: string }): ProxyUser | undefined {
  if (!trust(remoteAddress)) return undefined;
  const user = headerValues(headers, names.userHeader)[0];
  if (!user) return undefined;
  return { user, groups: headerValues(headers, names.groupHeader) };
}
