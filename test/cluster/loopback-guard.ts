/**
 * Preloaded (`node --import`) into agents the cluster tier starts: every outgoing TCP connection must go to
 * 127.0.0.0/8 or ::1. Any other destination is refused before a packet leaves and reported on stderr as
 * `LOOPBACK-GUARD: refused dial to HOST:PORT`, which the tests look for and fail on. The socket fails as a
 * refused connection would, so the agent carries on.
 */
import net from 'node:net';

const original = net.Socket.prototype.connect;

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  if (host.startsWith('::ffff:')) host = host.slice(7);
  return net.isIPv4(host) && host.split('.')[0] === '127';
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  // net.connect() and http agents pass one normalized array ([options, callback]); direct calls pass (options) or (port, host)
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  const opts = (typeof first === 'object' && first !== null ? first : {}) as { host?: string; port?: number; path?: string };
  if (!opts.path && !(typeof first === 'string' && Number.isNaN(Number(first)))) {
    const host = opts.host ?? (typeof args[1] === 'string' && !Array.isArray(args[0]) ? args[1] : 'localhost');
    const port = opts.port ?? first;
    if (!isLoopback(host)) {
      process.stderr.write(`LOOPBACK-GUARD: refused dial to ${host}:${String(port)}\n`);
      const err = Object.assign(new Error(`loopback guard: refused dial to ${host}:${String(port)} (tests talk to 127.0.0.0/8 only)`), { code: 'ECONNREFUSED' });
      process.nextTick(() => this.destroy(err));
      return this;
    }
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
