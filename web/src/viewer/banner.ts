/**
 * The viewer's message line (role=alert) and the plain-language text of each failure a user can
 * meet: a lost connection (retried by itself), a file gone from the node, a binary file, a position
 * past the end.
 */
import { ApiError } from '../api.ts';
import { announce, h, replace } from '../dom.ts';
import { explain } from '../messages.ts';

/** How bad a message is (its colour). `info` messages stay until replaced. */
export type BannerLevel = 'warn' | 'error' | 'info';

/** What the viewer should say and do about a failure. */
export interface FailureView {
  text: string;
  level: BannerLevel;
  /** Offer a link back to the pod page. */
  backToPod: boolean;
  /** `retry`: try the same action again shortly; `end`: show the end of the file instead. */
  then: 'retry' | 'end' | null;
}

/** Describe a failed call for the user (pure). */
export function describeFailure(e: unknown): FailureView {
  const err = e instanceof ApiError ? e : new ApiError(0, 'INTERNAL', String((e as Error)?.message ?? e));
  if (err.status === 0 && err.code === 'NETWORK') return { text: 'Lost connection to the agent. Reconnecting…', level: 'warn', backToPod: false, then: 'retry' };
  if (err.status === 404 || err.status === 410)
    return { text: `This file is no longer on the node (deleted or rotated away). ${err.message}`, level: 'error', backToPod: true, then: null };
  if (err.status === 415) return { text: 'This file is binary and cannot be shown as lines. Use Download to get it.', level: 'error', backToPod: false, then: null };
  if (err.status === 416) return { text: 'That position is past the end of the file. Showing the end instead.', level: 'warn', backToPod: false, then: 'end' };
  if (err.status === 401) return { text: 'Sign in with a bearer token to see this file.', level: 'warn', backToPod: false, then: 'retry' };
  if (err.status === 403) return { text: explain(err), level: 'error', backToPod: false, then: null };
  if (err.status === 429) return { text: `${explain(err)} Retrying…`, level: 'warn', backToPod: false, then: 'retry' };
  if (err.status === 503) return { text: `${err.message} Retrying…`, level: 'warn', backToPod: false, then: 'retry' };
  if (err.status === 502) return { text: explain(err), level: 'error', backToPod: false, then: null };
  return { text: `${err.message} (${err.code})`, level: 'error', backToPod: false, then: null };
}

/** The message line above the lines. */
export class Banner {
  readonly el = h('div', { class: 'banner', role: 'alert', hidden: true });

  private readonly podHref: string;

  /** `podHref`: where "Back to the pod" leads. */
  constructor(podHref: string) {
    this.podHref = podHref;
  }

  /** Show a message (and announce it to screen readers). */
  show(text: string, level: BannerLevel, backToPod = false): void {
    replace(this.el, text, backToPod ? h('a', { href: this.podHref }, ' Back to the pod') : null);
    this.el.className = `banner ${level}`;
    this.el.hidden = false;
    announce(text);
  }

  /** Hide a warning or error (an `info` message stays, unless `all`). */
  clear(all = false): void {
    if (!all && this.el.classList.contains('info')) return;
    this.el.hidden = true;
  }
}
