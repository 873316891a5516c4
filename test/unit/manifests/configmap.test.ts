import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { configKeys, loadConfig } from '../../../src/config/load.ts';
import { CONFIGMAP, configMapYaml } from '../../../scripts/configmap.ts';

const text = readFileSync(CONFIGMAP, 'utf8');

test('the ConfigMap is generated from the schema and current (run: node scripts/configmap.ts)', () => {
  assert.equal(text, configMapYaml());
});

test('the ConfigMap file is a valid podlog config with every key named, the DaemonSet values in force', () => {
  const cm = YAML.parse(text) as { data: Record<string, string> };
  const file = join(mkdtempSync(join(tmpdir(), 'podlog-cm-')), 'podlog.yaml');
  writeFileSync(file, cm.data['podlog.yaml']!);
  const config = loadConfig({ file });
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.auth.mode, 'kubernetes');
  for (const k of configKeys()) assert.ok(cm.data['podlog.yaml']!.includes(`(env ${k.env})`), `${k.path.join('.')} is described`);
});
