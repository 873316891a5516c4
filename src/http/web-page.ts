import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Router } from 'express';

/** The page's Content-Security-Policy: same-origin everything, no inline script. */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** What `GET /` answers while the page is not built: how to build it, and where the API is. */
export const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>podlog: page not built</title></head>
<body>
<h1>podlog's web page is not built</h1>
<p>In the podlog folder run <code>npm ci</code> (it builds the page) or <code>npm run build:web</code>, then reload.
The agent serves the page from <code>web/dist</code> once it is there; no restart is needed.</p>
<p>The API answers meanwhile: <a href="api/v1/pods">/api/v1/pods</a>, <a href="healthz">/healthz</a>.</p>
</body></html>
`;

/**
 * Serve the built page (`webDir`, vite's output: `index.html` and `assets/`) under the strict CSP.
 * While `webDir/index.html` is missing (checked per request, so a page built after start is served),
 * `GET /` and `GET /index.html` answer {@link NOT_BUILT_HTML} with status 200, never a 404.
 */
export function webPage(webDir: string): Router {
  const router = express.Router();
  const csp = (res: express.Response) => res.setHeader('Content-Security-Policy', CSP);
  router.use(express.static(webDir, { index: 'index.html', maxAge: '1h', setHeaders: csp }));
  router.get(['/', '/index.html'], (_req, res, next) => {
    if (existsSync(join(webDir, 'index.html'))) return next();
    csp(res);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(NOT_BUILT_HTML);
  });
  return router;
}
