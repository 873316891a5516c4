/**
 * The Kubernetes and Elasticsearch clients (and the HTTP client undici under both) cost tens of MB of RSS
 * once imported, the YAML parser about 10, so an agent loads them only when its configuration uses them:
 * nothing reachable from the CLI through static value imports may import them (type-only imports are
 * erased; main.ts loads the clients with `await import()`, `config/yaml.ts` the parser on first use).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

const HEAVY = ['@kubernetes/client-node', '@elastic/elasticsearch', 'undici', 'yaml'];

/** Module specifiers `file` imports for their values (static `import`/`export … from`, not `import type`). */
function valueImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const c = st.importClause;
      const typeOnly = c?.isTypeOnly || (c && !c.name && c.namedBindings && ts.isNamedImports(c.namedBindings)
        && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) out.push((st.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) {
      const named = st.exportClause && ts.isNamedExports(st.exportClause) ? st.exportClause.elements : undefined;
      if (!named || !named.every((e) => e.isTypeOnly)) out.push((st.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

/** Chains `a.ts > b.ts > package` from `entry` to any of `packages`. */
function pathsTo(entry: string, packages: string[]): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of valueImports(file)) {
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec), [...chain, file]);
      else if (packages.some((p) => spec === p || spec.startsWith(`${p}/`))) {
        found.push([...chain, file].map((f) => relative(process.cwd(), f)).join(' > ') + ` > ${spec}`);
      }
    }
  };
  walk(resolve(entry), []);
  return found;
}

test('the agent imports the Kubernetes and Elasticsearch clients, undici and the YAML parser only on demand', () => {
  assert.deepEqual(pathsTo('src/cli.ts', HEAVY), []);
});

test('the check sees a static import (it would catch a regression)', () => {
  assert.ok(pathsTo('src/ship/es-client.ts', HEAVY).some((p) => p.endsWith('@elastic/elasticsearch')));
  assert.ok(pathsTo('src/kube/index.ts', HEAVY).some((p) => p.endsWith('@kubernetes/client-node/dist/watch.js')));
  assert.ok(pathsTo('src/kube/api.ts', HEAVY).some((p) => p.endsWith('undici')));
});
