import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseYaml } from './yaml.ts';
import { PodlogError } from '../errors.ts';
import { ConfigSchema, type Config } from './schema.ts';

/** A plain nested object of config values before validation. */
export type RawConfig = Record<string, unknown>;

/** One config key: its dotted path, its environment variable and its description. */
export interface ConfigKey {
  path: string[];
  env: string;
  description: string;
}

function unwrapObject(t: z.ZodType): z.ZodObject | undefined {
  let cur: z.ZodType = t;
  for (let i = 0; i < 5; i++) {
    if (cur instanceof z.ZodObject) return cur;
    const inner = (cur as unknown as { def?: { innerType?: z.ZodType } }).def?.innerType;
    if (!inner) return undefined;
    cur = inner;
  }
  return undefined;
}

/** `deadlineMs` → `DEADLINE_MS`. */
function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Every leaf key of the schema, with its `PODLOG_*` environment variable, in declaration order. */
export function configKeys(schema: z.ZodObject = ConfigSchema, prefix: string[] = []): ConfigKey[] {
  const out: ConfigKey[] = [];
  for (const [k, t] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const path = [...prefix, k];
    const obj = unwrapObject(t);
    if (obj) out.push(...configKeys(obj, path));
    else out.push({ path, env: `PODLOG_${path.map(snake).join('_')}`, description: t.description ?? '' });
  }
  return out;
}

function setPath(target: RawConfig, path: string[], value: unknown): void {
  let cur = target;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as RawConfig;
  }
  cur[path[path.length - 1]!] = value;
}

/** Deep-merge plain objects; arrays and scalars from `b` replace those of `a`. */
export function mergeRaw(a: RawConfig, b: RawConfig): RawConfig {
  const out: RawConfig = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    const bothObjects = [prev, v].every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
    out[k] = bothObjects ? mergeRaw(prev as RawConfig, v as RawConfig) : v;
  }
  return out;
}

/**
 * Other names accepted for a key's variable when its `PODLOG_*` name is unset: `NODE_NAME`, which the
 * DaemonSet sets from the downward API (`spec.nodeName`), and `PODLOG_ES_URL`, the name the docs use.
 */
export const ENV_ALIASES: Readonly<Record<string, string>> = { 'kube.nodeName': 'NODE_NAME', 'ship.esUrl': 'PODLOG_ES_URL' };

/**
 * Read `PODLOG_*` variables that name a config key (see {@link configKeys}), and the {@link ENV_ALIASES}.
 * Other variables, such as the `PODLOG_SERVICE_HOST` links Kubernetes injects, are ignored.
 */
export function fromEnv(env: NodeJS.ProcessEnv): RawConfig {
  const raw: RawConfig = {};
  for (const key of configKeys()) {
    const alias = ENV_ALIASES[key.path.join('.')];
    const v = env[key.env] ?? (alias ? env[alias] : undefined);
    if (v !== undefined) setPath(raw, key.path, v);
  }
  return raw;
}

/**
 * Read a YAML or JSON config file (JSON is YAML).
 * @throws PodlogError `PODLOG_E_CONFIG` when it cannot be read or parsed, or is not a mapping.
 */
export function fromFile(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PodlogError('PODLOG_E_CONFIG', `cannot read config file ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new PodlogError('PODLOG_E_CONFIG', `config file ${path} is not valid YAML/JSON: ${(e as Error).message}`);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new PodlogError('PODLOG_E_CONFIG', `config file ${path} must hold a mapping of keys`);
  return doc as RawConfig;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => [...path, k].join('.'));
    return `unknown config key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;
  }
  const key = path.join('.');
  const env = configKeys().find((k) => k.path.join('.') === key)?.env;
  return `config key "${key}"${env ? ` (env ${env})` : ''}: ${issue.message}`;
}

/**
 * Validate merged raw values once and freeze the result.
 * @throws PodlogError `PODLOG_E_CONFIG` whose message names every bad or unknown key.
 */
export function validateConfig(raw: RawConfig): Config {
  const res = ConfigSchema.safeParse(raw);
  if (!res.success) throw new PodlogError('PODLOG_E_CONFIG', res.error.issues.map(describeIssue).join('; '));
  return deepFreeze(res.data);
}

/**
 * Build the configuration from its sources, later wins: defaults < file < env < flags.
 * @param opts.file path of a YAML/JSON file, if any
 * @param opts.flags values from the command line, already nested like the schema
 * @throws PodlogError `PODLOG_E_CONFIG`
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: RawConfig }): Config {
  const fileRaw = opts.file ? fromFile(opts.file) : {};
  return validateConfig(mergeRaw(mergeRaw(fileRaw, fromEnv(opts.env ?? {})), opts.flags ?? {}));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
