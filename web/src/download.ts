/**
 * Downloads when the page has a bearer token: a plain `<a download>` cannot send the
 * `Authorization` header, so one delegated click listener fetches the file through `api.ts` and
 * saves it from a Blob URL. The whole file is held in memory by the browser: for multi-GB files
 * `curl -H "Authorization: Bearer …"` is better (web/README.md). Without a token the link works as is.
 */
import { ApiError, request } from './api.ts';
import { getToken } from './auth.ts';
import { announce } from './dom.ts';
import { explain } from './messages.ts';

/** Fetch `url` with the token and save it as `name`. @throws ApiError */
export async function downloadWithToken(url: string, name: string): Promise<void> {
  const res = await request(url);
  const blob = await res.blob();
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser time to start the save before the URL is released.
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** Route clicks on same-origin `a[download]` links through {@link downloadWithToken} while a token is set. */
export function installDownloads(): void {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || !getToken()) return;
    const a = (e.target as Element | null)?.closest?.('a[download]') as HTMLAnchorElement | null;
    if (!a) return;
    const target = new URL(a.href, location.href);
    // Only the agent's own files: not the Blob URL clicked below (same origin too), not other sites.
    if (target.origin !== location.origin || !/^https?:$/.test(target.protocol)) return;
    e.preventDefault();
    const name = a.getAttribute('download') || 'podlog-download.log';
    announce(`Downloading ${name}…`);
    a.setAttribute('aria-busy', 'true');
    downloadWithToken(a.href, name)
      .then(() => announce(`Downloaded ${name}`))
      .catch((err: unknown) => {
        const msg = err instanceof ApiError ? explain(err) : String(err);
        announce(`Download failed: ${msg}`);
        window.alert(`Download of ${name} failed: ${msg}`);
      })
      .finally(() => a.removeAttribute('aria-busy'));
  });
}
