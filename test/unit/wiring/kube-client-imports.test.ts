/**
 * The agent talks to the API server through `src/kube/api.ts` and takes from @kubernetes/client-node only
 * `KubeConfig`, `Watch` and the `RequestContext`, each from its own file: the package index, any generated
 * API class and `ObjectSerializer` would bring all ~2,700 generated model classes with them (5 MB of
 * bundled code, tens of MB of RSS). These tests keep it so, in the sources and in the bundle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { tmpdir } from 'node:os';
import { AGENT_ENTRIES, bundle } from '../../../scripts/build.ts';

const PACKAGE = '@kubernetes/client-node';
/** The files of client-node the agent may load at run time: `KubeConfig`, `Watch`, `RequestContext`. */
const ALLOWED = new Set([`${PACKAGE}/dist/config.js`, `${PACKAGE}/dist/watch.js`, `${PACKAGE}/dist/gen/http/http.js`]);

/** client-node specifiers `source` loads for their values: static imports and re-exports (not `import type`) and `import()`. */
function clientNodeValueImports(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    let spec: string | undefined;
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const typeOnly = c?.isTypeOnly || (c && !c.name && c.namedBindings && ts.isNamedImports(c.namedBindings)
        && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) spec = (node.moduleSpecifier as ts.StringLiteral).text;
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      spec = (node.moduleSpecifier as ts.StringLiteral).text;
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = node.arguments[0];
      spec = a && ts.isStringLiteralLike(a) ? a.text : '<computed import()>';
    } else if (ts.isImportTypeNode(node)) {
      return; // `import('x').T` in a type position is erased
    }
    if (spec !== undefined && (spec === PACKAGE || spec.startsWith(`${PACKAGE}/`) || spec === '<computed import()>')) out.push(spec);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('agent modules load from client-node only KubeConfig, Watch and the request context, each from its own file', () => {
  const bad: string[] = [];
  for (const f of sourceFiles('src')) {
    for (const spec of clientNodeValueImports(f, readFileSync(f, 'utf8'))) {
      if (!ALLOWED.has(spec)) bad.push(`${relative(process.cwd(), f)} loads ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the import check sees the index, a generated API class, ObjectSerializer and a dynamic import (it would catch a regression)', () => {
  const src = [
    `import { CoreV1Api } from '${PACKAGE}';`,
    `import { ObjectSerializer } from '${PACKAGE}/dist/serializer.js';`,
    `import type { V1Pod } from '${PACKAGE}';`,
    `import { type V1Lease } from '${PACKAGE}';`,
    `const k8s = await import('${PACKAGE}');`,
    `const { Watch } = await import('${PACKAGE}/dist/watch.js');`,
    `type T = import('${PACKAGE}').V1Node;`,
  ].join('\n');
  assert.deepEqual(clientNodeValueImports('x.ts', src), [PACKAGE, `${PACKAGE}/dist/serializer.js`, PACKAGE, `${PACKAGE}/dist/watch.js`]);
});

test('the bundled agent holds no generated API class or ObjectSerializer, and under 100 KB of client-node', async () => {
  // The release build (scripts/build.ts) in memory; nothing is written.
  const r = await bundle(AGENT_ENTRIES, join(tmpdir(), 'podlog-bundle-check'), { write: false });
  const bundled = Object.values(r.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, v]) => v.bytesInOutput > 0));
  const generated = bundled.map(([p]) => p).filter((p) => /client-node\/dist\/(gen\/apis\/|gen\/types\/|serializer\.js)/.test(p));
  assert.deepEqual(generated, []);
  // ObjectSerializer.js lends a few module-level helpers; the class itself and its type map must be gone.
  const named = (r.outputFiles ?? []).flatMap((f) => [...new Set(f.text.match(/\bObjectSerializer\b|\b\w+V\d\w*Api\b/g) ?? [])]);
  assert.deepEqual(named, []);
  const clientNodeBytes = bundled.filter(([p]) => /client-node\/dist\//.test(p)).reduce((n, [, v]) => n + v.bytesInOutput, 0);
  assert.ok(clientNodeBytes > 0, 'the bundle holds KubeConfig and Watch');
  assert.ok(clientNodeBytes < 100_000, `client-node's share of the bundle is ${clientNodeBytes} bytes`);
});
