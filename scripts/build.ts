/**
 * `npm run build`: bundle the agent into `dist/` for production (the container image runs it; a clone
 * runs `src/` directly). One ES module per entry (`dist/cli.js`, `dist/scan-worker.js`) plus shared
 * chunks beside them, so the clients that `main.ts` imports lazily stay in chunks of their own and load
 * only when the configuration uses them. Whitespace and syntax are minified (V8 keeps every module's
 * source text in the heap); identifiers are not, so stack traces stay readable. Packages resolve to one
 * copy each (package.json `overrides` keeps a single undici). `node_modules` stays beside `dist/` for the
 * few modules loaded by name at run time (`yaml`).
 * Why: at rest the bundled agent holds 83 MB RSS against 130 MB from its TypeScript sources
 * (`node bench/memory.ts` measures both forms; docs/ARCHITECTURE.md "Memory" says where it goes).
 * Run: node scripts/build.ts [outdir]   (default: dist)
 */
import { build, type BuildResult, type Plugin } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));

/**
 * @kubernetes/client-node's generated model classes (one module each, 2,700 of them) only declare
 * classes, but its package.json does not say `sideEffects: false`, so a bundler keeps every one that the
 * generated index re-exports. Marking them side-effect free lets esbuild drop the models the agent never
 * references (it uses `KubeConfig`, `Watch` and the request context; objects stay plain JSON).
 */
const clientNodeModelsArePure: Plugin = {
  name: 'client-node-models-are-pure',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (!args.resolveDir.includes('/@kubernetes/client-node/dist/gen')) return undefined;
      const path = resolve(args.resolveDir, args.path);
      return path.includes('/@kubernetes/client-node/dist/gen/models/') ? { path, sideEffects: false } : undefined;
    });
  },
};

/**
 * Bundle `entryPoints` (output name → source path relative to the repo) into `outdir` (replaced), with the
 * options the image uses. The agent's bundle is {@link buildAgent}; benchmarks bundle their own child
 * processes the same way, so what they measure is what runs in production.
 * @param outdir absolute path; must sit below the package root with no package.json between, so that the
 *   bundle finds `package.json`, `web/dist` and `node_modules` as `src/` does (see src/package-root.ts).
 * @param opts.write false: write nothing, only return the files and the metafile (what each input adds)
 * @throws the esbuild error when a module does not resolve or does not parse.
 */
export async function bundle(entryPoints: Record<string, string>, outdir: string, opts: { write?: boolean } = {}): Promise<BuildResult<{ metafile: true }>> {
  const write = opts.write ?? true;
  if (write) rmSync(outdir, { recursive: true, force: true });
  return build({
    write,
    metafile: true,
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
    plugins: [clientNodeModelsArePure],
  });
}

/**
 * Bundle the agent: `outdir/cli.js` (the command) and `outdir/scan-worker.js` (the search workers'
 * module, which `search/pool.ts` finds beside its chunk).
 * @param outdir absolute path (default `dist/` of the repo); see {@link bundle}.
 */
export async function buildAgent(outdir = join(repo, 'dist')): Promise<void> {
  await bundle(AGENT_ENTRIES, outdir);
}

/** The agent's entry points: output name → source. */
export const AGENT_ENTRIES = { cli: 'src/cli.ts', 'scan-worker': 'src/search/scan-worker.ts' };

if (import.meta.main) await buildAgent(process.argv[2] ? join(process.cwd(), process.argv[2]) : undefined);
