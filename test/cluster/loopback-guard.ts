/**
 * Preloaded (`node --import`) into agents the cluster tier starts: no packet leaves 127.0.0.0/8.
 * - Pod addresses: kwok gives pods addresses from 10.244.0.0/16 (the API server refuses loopback addresses
 *   in EndpointSlices), and each agent listens on its pod address mapped into loopback
 *   (10.244.a.b → 127.244.a.b, {@link loopbackOf}); dials to 10.244.a.b go there.
 * - Anything else outside 127.0.0.0/8 and ::1 is refused before a packet leaves and reported on stderr as
 *   `LOOPBACK-GUARD: refused dial to HOST:PORT`, which the tests look for and fail on. The socket fails as
 *   a refused connection would, so the agent carries on.
 */
import net from 'node:net';

/** The loopback address standing in for a kwok pod address (10.244.a.b → 127.244.a.b); undefined for others. */
export function loopbackOf(podIp: string): string | undefined {
  const m = /^10\.244\.(\d+)\.(\d+)$/.exec(podIp);
  return m ? `127.244.${m[1]}.${m[2]}` : undefined;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  if (host.startsWith('::ffff:')) host = host.slice(7);
  return net.isIPv4(host) && host.split('.')[0] === '127';
}

const original = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  // net.connect() and http agents pass one normalized array ([options, callback]); direct calls pass (options) or (port, host)
  const normalized = Array.isArray(args[0]) ? (args[0] as unknown[]) : undefined;
  const first = normalized ? normalized[0] : args[0];
  const opts = (typeof first === 'object' && first !== null ? first : {}) as { host?: string; port?: number; path?: string };
  if (!opts.path && !(typeof first === 'string' && Number.isNaN(Number(first)))) {
    const host = opts.host ?? (typeof args[1] === 'string' && !normalized ? args[1] : 'localhost');
    const port = opts.port ?? first;
    const mapped = loopbackOf(host);
    if (mapped && typeof first === 'object' && first !== null) {
      const moved = { ...opts, host: mapped };
      if (normalized) normalized[0] = moved;
      else args[0] = moved;
    } else if (!isLoopback(host)) {
      process.stderr.write(`LOOPBACK-GUARD: refused dial to ${host}:${String(port)}\n`);
      const err = Object.assign(new Error(`loopback guard: refused dial to ${host}:${String(port)} (tests talk to 127.0.0.0/8 only)`), { code: 'ECONNREFUSED' });
      process.nextTick(() => this.destroy(err));
      return this;
    }
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
