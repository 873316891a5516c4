/**
 * What a container runs, in the user's words: its `command` and `args` quoted from the spec, which of them
 * overrides the image's ENTRYPOINT / CMD (https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/#notes:
 * `command` replaces ENTRYPOINT and drops the image's CMD; `args` alone replaces only CMD), and what an init
 * container waits for (an `until nc -z <host> <port>` loop, a DNS lookup, an HTTP fetch, `pg_isready`). Pure.
 */
import { clip, specEvidence } from './context.ts';
import type { ContainerJson, Evidence } from './types.ts';

/** A command line as written in the spec (JSON array), clipped to `max` characters. */
export function argvText(argv: string[], max = 160): string {
  return clip(JSON.stringify(argv), max);
}

/**
 * One sentence on what the container runs and which of command/args overrides the image, plus spec evidence.
 * @param c the container spec (undefined: nothing is said)
 * @param path `spec.containers[main]`
 */
export function describeCommand(c: ContainerJson | undefined, path: string): { text: string; evidence: Evidence[] } {
  if (!c) return { text: '', evidence: [] };
  const evidence: Evidence[] = [];
  if (c.command?.length) evidence.push(specEvidence(`${path}.command`, c.command));
  if (c.args?.length) evidence.push(specEvidence(`${path}.args`, c.args));
  const cmd = c.command?.length ? argvText(c.command) : undefined;
  const args = c.args?.length ? argvText(c.args) : undefined;
  let text: string;
  if (cmd && args) text = `its command ${cmd} with args ${args} replace the image's ENTRYPOINT and CMD`;
  else if (cmd) text = `its command ${cmd} replaces the image's ENTRYPOINT (the image's CMD is dropped)`;
  else if (args) text = `its args ${args} replace only the image's CMD; the image's ENTRYPOINT still runs first`;
  else text = 'it sets neither command nor args, so the image\'s own ENTRYPOINT and CMD run';
  return { text, evidence };
}

/** Which spec field holds a program name the runtime could not find: `command[0]`, `args[0]`, or undefined. */
export function fieldNaming(c: ContainerJson | undefined, program: string): string | undefined {
  if (c?.command?.[0] === program) return 'command[0]';
  if (c?.args?.[0] === program) return 'args[0]';
  const i = c?.command?.findIndex((a) => a === program || a.split(/\s+/)[0] === program) ?? -1;
  if (i >= 0) return `command[${i}]`;
  const j = c?.args?.findIndex((a) => a === program || a.split(/\s+/)[0] === program) ?? -1;
  return j >= 0 ? `args[${j}]` : undefined;
}

/** What an init container's script waits for or does, read from its command and args. */
export interface InitPurpose {
  /** e.g. `waiting for db:5432` */
  what: string;
  /** The spec text it was read from, e.g. `until nc -z db 5432`. */
  from: string;
  /** Host and port it connects to, if any. */
  host?: string;
  port?: string;
}

/**
 * Reads what an init container does from its command line. Recognises `nc -z host port` (busybox/netcat
 * wait loops), `nslookup`/`getent hosts`/`dig` (DNS waits), `curl`/`wget` URLs, `pg_isready -h … -p …` and
 * `kubectl wait`. Undefined when the command says nothing recognisable.
 */
export function initPurpose(c: ContainerJson | undefined): InitPurpose | undefined {
  const script = [...(c?.command ?? []), ...(c?.args ?? [])].join(' ');
  if (!script) return undefined;
  let m: RegExpExecArray | null;
  if ((m = /(?:until\s+)?nc\s+(?:-\w+\s+)*?-z(?:v|w\s*\d+)?\s+(?:-\w+\s+\d+\s+)?([\w.-]+)\s+(\d+)/.exec(script))) {
    return { what: `waiting for ${m[1]}:${m[2]} to accept connections`, from: clip(m[0], 80), host: m[1]!, port: m[2]! };
  }
  if ((m = /pg_isready\b[^;&|]*?-h\s*([\w.-]+)(?:[^;&|]*?-p\s*(\d+))?/.exec(script))) {
    return { what: `waiting for PostgreSQL at ${m[1]}${m[2] ? `:${m[2]}` : ''}`, from: clip(m[0], 80), host: m[1]!, ...(m[2] ? { port: m[2] } : {}) };
  }
  if ((m = /(?:nslookup|getent\s+hosts|dig\s+(?:\+\w+\s+)*)\s*([\w.-]+\.?[\w.-]*)/.exec(script)) && !/^-/.test(m[1]!)) {
    return { what: `waiting for the name ${m[1]} to resolve`, from: clip(m[0], 80), host: m[1]! };
  }
  if ((m = /(?:curl|wget)\b[^;&|]*?(https?:\/\/[^\s'";&|]+)/.exec(script))) {
    const u = /^https?:\/\/([^/:]+)(?::(\d+))?/.exec(m[1]!);
    return { what: `fetching ${m[1]}`, from: clip(m[0], 80), ...(u?.[1] ? { host: u[1] } : {}), ...(u?.[2] ? { port: u[2] } : {}) };
  }
  if ((m = /kubectl\s+wait\b[^;&|]*/.exec(script))) return { what: `running ${clip(m[0], 80)}`, from: clip(m[0], 80) };
  return undefined;
}

/** The Service a host name points at: `db` / `db.ns` / `db.ns.svc.cluster.local` → `{ name: 'db', namespace: 'ns' }`. */
export function serviceOfHost(host: string, defaultNamespace: string): { name: string; namespace: string } | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return undefined;
  const parts = host.replace(/\.$/, '').split('.');
  if (parts.length === 1) return { name: parts[0]!, namespace: defaultNamespace };
  if (parts.length === 2 || parts[2] === 'svc') return { name: parts[0]!, namespace: parts[1]! };
  return undefined;
}
