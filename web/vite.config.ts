/**
 * Vite build of podlog's web page. Root is `web/`, output `web/dist/` (served by the agent at `/`).
 * No CDN, no inline scripts (the page must run under a strict CSP: `script-src 'self'`).
 * Build: `vite build web` from the repository root.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Keep every asset a file: inlined data: URLs would need a looser CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    // `vite web` during development proxies the API to a running agent (PODLOG_AGENT, default :8080).
    proxy: { '/api': process.env.PODLOG_AGENT ?? 'http://127.0.0.1:8080' },
  },
});
