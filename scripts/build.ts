/**
 * `npm run build`: bundle the agent into `dist/` for production (the container image runs it; a clone
 * runs `src/` directly). One ES module per entry (`dist/cli.js`, `dist/scan-worker.js`) plus shared
 * chunks beside them, so the clients that `main.ts` imports lazily stay in chunks of their own and load
 * only when the configuration uses them. Whitespace and syntax are minified (V8 keeps every module's
 * source text in the heap); identifiers are not, so stack traces stay readable. Packages resolve to one
 * copy each (package.json `overrides` keeps a single undici). `node_modules` stays beside `dist/` for the
 * few modules loaded by name at run time (`yaml`).
 * Why: the agent at rest is ~30% smaller in RSS bundled than run from its TypeScript sources
 * (`node bench/memory.ts` measures both forms).
 * Run: node scripts/build.ts [outdir]   (default: dist)
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundle `entryPoints` (output name → source path relative to the repo) into `outdir` (replaced), with the
 * options the image uses. The agent's bundle is {@link buildAgent}; benchmarks bundle their own child
 * processes the same way, so what they measure is what runs in production.
 * @param outdir absolute path; must sit below the package root with no package.json between, so that the
 *   bundle finds `package.json`, `web/dist` and `node_modules` as `src/` does (see src/package-root.ts).
 * @throws the esbuild error when a module does not resolve or does not parse.
 */
export async function bundle(entryPoints: Record<string, string>, outdir: string): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: repo,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    chunkNames: 'chunk-[hash]',
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'linked',
    // CommonJS dependencies inside an ES module bundle still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __podlogRequire } from 'node:module'; const require = __podlogRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

/**
 * Bundle the agent: `outdir/cli.js` (the command) and `outdir/scan-worker.js` (the search workers'
 * module, which `search/pool.ts` finds beside its chunk).
 * @param outdir absolute path (default `dist/` of the repo); see {@link bundle}.
 */
export async function buildAgent(outdir = join(repo, 'dist')): Promise<void> {
  await bundle({ cli: 'src/cli.ts', 'scan-worker': 'src/search/scan-worker.ts' }, outdir);
}

if (import.meta.main) await buildAgent(process.argv[2] ? join(process.cwd(), process.argv[2]) : undefined);
