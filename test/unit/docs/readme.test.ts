import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../../src/errors.ts';
import { configKeys } from '../../../src/config/load.ts';
import { README, syncedReadme } from '../../../scripts/readme-sync.ts';

const readme = readFileSync(README, 'utf8');

test('README lists every error code with its status', () => {
  for (const [code, status] of Object.entries(ERROR_CODES)) {
    assert.match(readme, new RegExp(`\\| \`${code}\` \\| ${status} \\|`), `${code} missing from README`);
  }
});

test('README documents every config key and its env variable', () => {
  for (const k of configKeys()) assert.ok(readme.includes(`\`${k.env}\``), `${k.env} missing from README`);
});

test('README generated sections are current (run: node scripts/readme-sync.ts)', () => {
  assert.equal(readme, syncedReadme(readme));
});

test('README gives the two set-up commands', () => {
  assert.ok(readme.includes('npm ci && npm start') && readme.includes('npm ci && npm test'));
});
