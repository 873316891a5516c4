/**
 * The log viewer page: toolbar (go to start/end/offset/time, follow, wrap, fold, find, download,
 * copy link), the windowed {@link LinePane}, a status line, and the glue: follow over SSE, permalinks
 * (the hash always names the file and the highlighted line or the first line on screen), error states.
 */
import { ApiError, fileUrl, linesBefore, linesFrom, linesTail, type FileRef } from '../api.ts';
import { announce, h, replace } from '../dom.ts';
import { fmtBytes, fmtTime } from '../format.ts';
import { formatRoute, type Route } from '../route.ts';
import { LineBlock } from './block.ts';
import { normaliseTime } from './decorate.ts';
import { Finder, findRegExp } from './find.ts';
import { Follower } from './follow.ts';
import { LinePane } from './pane.ts';
import { seekTime } from './seek.ts';

/** A route of kind `file`. */
export type FileRoute = Extract<Route, { kind: 'file' }>;

/** What the viewer learns from the rest of the page. */
export interface ViewerContext {
  /** Listing metadata of the file (size, mtime, live), when the pod list knows it. */
  fileMeta(ref: FileRef): { size: number; mtime: number; live: boolean; kind: string } | undefined;
  /** Breadcrumb trail for the header. */
  crumbs(ref: FileRef): Node;
}

/** Lines fetched per window. */
const WINDOW = 400;

/** One open file. */
export class Viewer {
  readonly el: HTMLElement;
  readonly ref: FileRef;
  private readonly block: LineBlock;
  private readonly pane: LinePane;
  private readonly finder: Finder;
  private follower: Follower | null = null;
  private following = false;
  private paused = false;
  private readonly banner: HTMLElement;
  private readonly status: HTMLElement;
  private readonly followBtn: HTMLButtonElement;
  private readonly wrapBtn: HTMLButtonElement;
  private readonly foldBtn: HTMLButtonElement;
  private readonly findInput: HTMLInputElement;
  private readonly findStatus: HTMLElement;
  private readonly gotoInput: HTMLInputElement;
  private readonly meta: HTMLElement;
  private crumbsEl: ChildNode;
  private urlTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastAction: (() => Promise<void>) | null = null;
  private destroyed = false;
  private connection: 'live' | 'reconnecting' | '' = '';
  /** A window was read at least once (so an empty block means an empty file). */
  private loaded = false;

  constructor(route: FileRoute, private readonly ctx: ViewerContext) {
    this.ref = route.ref;
    const ref = this.ref;
    this.block = new LineBlock(
      {
        from: (o, n, s) => linesFrom(ref, o, n, s),
        before: (o, n, s) => linesBefore(ref, o, n, s),
        tail: (n, s) => linesTail(ref, n, s),
      },
      6000,
      WINDOW,
    );
    this.pane = new LinePane(
      this.block,
      {
        moved: () => this.moved(),
        userScrolledUp: () => this.pauseFollow(),
        selectLine: (o) => this.select(o),
        error: (e) => this.fail(e),
        jump: (to) => void this.jump(to),
        linkFor: (o) => formatRoute({ kind: 'file', ref, offset: o }),
      },
      `Lines of ${ref.file}`,
    );
    this.finder = new Finder(ref, this.block);
    const btn = (label: string, text: string, onclick: () => void, keys?: string) =>
      h('button', { type: 'button', class: 'tb', 'aria-label': label, title: keys ? `${label} (${keys})` : label, onclick, 'aria-keyshortcuts': keys }, text);
    this.followBtn = btn('Follow', 'Follow', () => void this.toggleFollow(), 'f');
    this.followBtn.setAttribute('aria-pressed', 'false');
    this.wrapBtn = btn('Wrap lines', 'Wrap', () => this.toggleWrap(), 'w');
    this.wrapBtn.setAttribute('aria-pressed', 'false');
    this.foldBtn = btn('Fold all stack traces', 'Fold', () => this.toggleFoldAll(), 'z');
    this.foldBtn.setAttribute('aria-pressed', 'false');
    this.findInput = h('input', { type: 'search', class: 'find', placeholder: 'Find in file', 'aria-label': 'Find in file', 'aria-keyshortcuts': '/' });
    this.findInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void this.find(e.shiftKey ? -1 : 1);
      } else if (e.key === 'Escape') {
        this.findInput.blur();
        this.pane.focus();
      }
    });
    this.findInput.addEventListener('input', () => {
      this.finder.reset();
      this.pane.findRe = this.findInput.value ? findRegExp(this.findInput.value) : null;
      this.pane.changed();
      this.findStatus.textContent = '';
    });
    this.findStatus = h('span', { class: 'find-status', role: 'status' });
    this.gotoInput = h('input', { type: 'text', class: 'goto', placeholder: 'byte, 50%, or 2025-01-31 12:00', 'aria-label': 'Go to byte offset, percentage or time' });
    this.gotoInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void this.goto(this.gotoInput.value);
      }
    });
    const download = h('a', { class: 'tb', href: fileUrl(ref, '', { download: 1 }), download: ref.file, 'aria-label': `Download ${ref.file}`, title: 'Download the whole file' }, 'Download');
    this.meta = h('span', { class: 'meta' });
    this.crumbsEl = ctx.crumbs(ref) as ChildNode;
    this.banner = h('div', { class: 'banner', role: 'alert', hidden: true });
    this.status = h('div', { class: 'status', 'aria-live': 'polite' });
    const toolbar = h(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Viewer' },
      btn('Go to start', 'Start', () => void this.jump('start'), 'g'),
      btn('Go to end', 'End', () => void this.jump('end'), 'Shift+G'),
      this.followBtn,
      h('form', { class: 'goto-form', onsubmit: (e: Event) => (e.preventDefault(), void this.goto(this.gotoInput.value)) }, this.gotoInput),
      h(
        'span',
        { class: 'find-group' },
        this.findInput,
        btn('Previous match', '↑', () => void this.find(-1), 'Shift+N'),
        btn('Next match', '↓', () => void this.find(1), 'n'),
        this.findStatus,
      ),
      this.wrapBtn,
      this.foldBtn,
      download,
      btn('Copy link to this view', 'Link', () => void this.copyLink()),
    );
    this.el = h(
      'section',
      { class: 'viewer', 'aria-label': `Log file ${ref.file}` },
      h('header', { class: 'vhead' }, this.crumbsEl, this.meta),
      toolbar,
      this.banner,
      this.pane.el,
      this.status,
    );
    this.refreshMeta();
    void this.apply(route);
  }

  /** Apply a route for this same file (initial load or a pasted permalink). */
  async apply(r: FileRoute): Promise<void> {
    if (r.find) {
      this.findInput.value = r.find;
      this.pane.findRe = findRegExp(r.find);
    }
    if (r.offset !== undefined) {
      const o = r.offset;
      await this.run(async () => {
        await this.load(() => this.block.jumpTo(o, 80, WINDOW));
        // An offset inside a line names that line.
        this.pane.selected = this.block.lines[this.block.indexOf(o)]?.offset ?? o;
        this.pane.changed();
        this.pane.reveal(o);
      });
    } else if (r.top !== undefined) {
      const o = r.top;
      await this.run(async () => {
        await this.load(() => this.block.jumpTo(o, 80, WINDOW));
        this.pane.reveal(o, true);
      });
    } else if (r.time) {
      await this.goto(r.time);
    } else {
      if (r.follow) await this.startFollow();
      else await this.jump('end');
    }
  }

  /** Handle a key pressed while the viewer is shown (not in a text field). Returns true when used. */
  key(e: KeyboardEvent): boolean {
    const k = e.key;
    if (k === 'g' || k === 'Home') void this.jump('start');
    else if (k === 'G' || k === 'End') void this.jump('end');
    else if (k === 'f') void this.toggleFollow();
    else if (k === 'w') this.toggleWrap();
    else if (k === 'z') this.toggleFoldAll();
    else if (k === '/') {
      this.findInput.focus();
      this.findInput.select();
    } else if (k === 'n') void this.find(1);
    else if (k === 'N') void this.find(-1);
    else if (k === 'ArrowDown' || k === 'j') this.pane.scrollRows(1);
    else if (k === 'ArrowUp' || k === 'k') this.pane.scrollRows(-1);
    else if (k === 'PageDown' || k === ' ') this.pane.scrollRows(this.pane.pageRows - 1);
    else if (k === 'PageUp') this.pane.scrollRows(-(this.pane.pageRows - 1));
    else return false;
    return true;
  }

  /** Stop following and timers. */
  destroy(): void {
    this.destroyed = true;
    this.follower?.stop();
    this.pane.destroy();
    if (this.urlTimer) clearTimeout(this.urlTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** Focus the line area. */
  focus(): void {
    this.pane.focus();
  }

  /** The pod list changed: refresh size/mtime shown. */
  refreshMeta(): void {
    const crumbs = this.ctx.crumbs(this.ref) as ChildNode;
    this.crumbsEl.replaceWith(crumbs);
    this.crumbsEl = crumbs;
    const m = this.ctx.fileMeta(this.ref);
    const size = Math.max(m?.size ?? 0, this.block.size);
    replace(
      this.meta,
      m?.live ? h('span', { class: 'badge current', title: 'The file the container writes to now' }, 'current file') : null,
      m?.kind === 'compressed' ? h('span', { class: 'badge' }, 'gzip') : null,
      ` ${fmtBytes(size)}`,
      m ? ` · modified ${fmtTime(m.mtime)}` : '',
    );
  }

  // ----- loading and errors -----

  /** Run a loading action; on failure show the error and, for lost connections, retry it. */
  private async run(action: () => Promise<void>): Promise<void> {
    this.lastAction = action;
    try {
      await action();
      this.clearBanner();
    } catch (e) {
      this.fail(e);
    }
  }

  private async load(jump: () => Promise<boolean>): Promise<void> {
    this.setStatus('Loading…');
    const ok = await jump();
    this.loaded ||= ok;
    if (ok) this.pane.changed();
    this.refreshMeta();
  }

  private fail(e: unknown): void {
    if (this.destroyed || (e as Error)?.name === 'AbortError') return;
    const err = e instanceof ApiError ? e : new ApiError(0, 'INTERNAL', String((e as Error)?.message ?? e));
    if (err.status === 0) {
      this.showBanner('Lost connection to the agent. Reconnecting…', 'warn');
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.lastAction && void this.run(this.lastAction), 2000);
    } else if (err.status === 404 || err.status === 410) {
      this.showBanner(`This file is no longer on the node (deleted or rotated away). ${err.message}`, 'error', true);
    } else if (err.status === 415) {
      this.showBanner('This file is binary and cannot be shown as lines. Use Download to get it.', 'error');
    } else if (err.status === 416) {
      this.showBanner('That position is past the end of the file. Showing the end instead.', 'warn');
      void this.jump('end');
    } else {
      this.showBanner(`${err.message} (${err.code})`, 'error');
    }
  }

  private showBanner(text: string, level: 'warn' | 'error' | 'info', backToPod = false): void {
    replace(
      this.banner,
      text,
      backToPod ? h('a', { href: formatRoute({ kind: 'pod', namespace: this.ref.namespace, pod: this.ref.pod, uid: this.ref.uid }) }, ' Back to the pod') : null,
    );
    this.banner.className = `banner ${level}`;
    this.banner.hidden = false;
    announce(text);
  }

  private clearBanner(): void {
    if (this.banner.classList.contains('info')) return;
    this.banner.hidden = true;
  }

  // ----- navigation -----

  /** Jump to the start, the end, or a byte offset. */
  async jump(to: 'start' | 'end' | number): Promise<void> {
    if (to !== 'end') this.pauseFollow();
    await this.run(async () => {
      if (to === 'end') {
        await this.load(() => this.block.jumpEnd(WINDOW));
        this.pane.render();
        this.pane.toBottom();
        this.pane.render();
      } else {
        const o = to === 'start' ? 0 : to;
        await this.load(() => this.block.jumpTo(o, to === 'start' ? 0 : 80, WINDOW));
        this.pane.reveal(o, true);
      }
    });
    if (to === 'end' && this.paused) this.setStatus('');
  }

  /** Select (highlight) a line and name it in the URL. */
  select(offset: number | null): void {
    this.pane.selected = offset;
    this.pane.changed();
    this.moved();
  }

  /** "Go to" box: a byte offset (`12345`), a percentage (`50%`) or a time. */
  async goto(input: string): Promise<void> {
    const v = input.trim();
    if (!v) return;
    const size = this.block.size || this.ctx.fileMeta(this.ref)?.size || 0;
    if (/^\d+$/.test(v)) return this.jumpSelect(Number(v));
    const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(v);
    if (pct) return this.jump(Math.floor((Math.min(100, Number(pct[1])) / 100) * size));
    const t = normaliseTime(v);
    if (!t) {
      this.showBanner(`"${v}" is not a byte offset, a percentage or a time (YYYY-MM-DD HH:MM:SS).`, 'warn');
      return;
    }
    this.pauseFollow();
    await this.run(async () => {
      this.setStatus(`Looking for ${t.replace('T', ' ')}…`);
      const fileSize = size || (await linesTail(this.ref, 1)).size;
      const off = await seekTime((o, n) => linesFrom(this.ref, o, n), fileSize, t);
      this.pane.selected = off;
      await this.load(() => this.block.jumpTo(off, 80, WINDOW));
      this.pane.reveal(off);
    });
  }

  private async jumpSelect(offset: number): Promise<void> {
    this.pauseFollow();
    await this.run(async () => {
      this.pane.selected = offset;
      if (!this.pane.holds(offset)) await this.load(() => this.block.jumpTo(offset, 80, WINDOW));
      else this.pane.changed();
      const line = this.block.lines[this.block.indexOf(offset)];
      if (line) this.pane.selected = line.offset;
      this.pane.reveal(offset);
    });
  }

  private async find(dir: 1 | -1): Promise<void> {
    const q = this.findInput.value;
    if (!q) {
      this.findInput.focus();
      return;
    }
    this.pane.findRe = findRegExp(q);
    const from = this.pane.selected ?? (dir > 0 ? this.pane.topOffset - 1 : this.pane.topOffset);
    this.findStatus.textContent = 'Searching…';
    try {
      const r = await this.finder.step(q, from, dir);
      if (!r) {
        this.findStatus.textContent = 'No match';
        return;
      }
      const parts = [r.wrapped ? 'Wrapped' : ''];
      if (r.total !== undefined) parts.push(`${r.total}${r.partial ? '+' : ''} matches`);
      this.findStatus.textContent = parts.filter(Boolean).join(' · ');
      await this.jumpSelect(r.offset);
    } catch (e) {
      this.findStatus.textContent = 'Search failed';
      this.fail(e);
    }
  }

  private toggleWrap(): void {
    const on = !this.pane.wrap;
    this.pane.setWrap(on);
    this.wrapBtn.setAttribute('aria-pressed', String(on));
  }

  private toggleFoldAll(): void {
    const on = !this.pane.foldAll;
    this.pane.setFoldAll(on);
    this.foldBtn.setAttribute('aria-pressed', String(on));
  }

  private async copyLink(): Promise<void> {
    this.writeUrl();
    const url = location.href;
    try {
      await navigator.clipboard.writeText(url);
      this.setStatus('Link copied');
    } catch {
      window.prompt('Copy this link', url);
    }
  }

  // ----- follow -----

  private async toggleFollow(): Promise<void> {
    if (this.following) this.pauseFollow(true);
    else await this.startFollow();
  }

  /** Go to the end and append lines as they are written. */
  async startFollow(): Promise<void> {
    this.follower?.stop();
    this.paused = false;
    await this.jump('end');
    if (this.destroyed) return;
    this.following = true;
    this.followBtn.setAttribute('aria-pressed', 'true');
    this.followBtn.classList.add('on');
    this.follower = new Follower((o) => fileUrl(this.ref, '/follow', { offset: o }), this.block.end, {
      lines: (lines, next) => {
        const stick = this.pane.atBottom() || this.block.lines.length === 0;
        this.block.append(lines, next);
        this.pane.changed();
        if (stick && this.following) {
          this.pane.render();
          this.pane.toBottom();
        }
        this.refreshMeta();
      },
      change: (kind) => {
        if (kind === 'gone') {
          this.showBanner('The file was deleted on the node. The lines shown stay until you leave.', 'error', true);
          this.pauseFollow(true);
        } else {
          this.showBanner(`The file was ${kind} at ${fmtTime(Date.now())}; showing its new content.`, 'info');
          this.block.lines = [];
          this.block.start = this.block.end = 0;
          this.block.eof = true;
          this.pane.changed();
        }
      },
      status: (s, ms) => {
        this.connection = s;
        if (s === 'reconnecting') this.showBanner(`Lost the follow connection. Reconnecting in ${Math.ceil((ms ?? 0) / 1000)} s…`, 'warn');
        else if (!this.banner.classList.contains('info')) this.banner.hidden = true;
        this.moved();
      },
    });
    announce('Following the file');
    this.moved();
  }

  /** Stop following; `user` when asked for explicitly (no "paused" hint). */
  pauseFollow(user = false): void {
    if (!this.following) return;
    this.follower?.stop();
    this.follower = null;
    this.following = false;
    this.paused = !user;
    this.connection = '';
    this.followBtn.setAttribute('aria-pressed', 'false');
    this.followBtn.classList.remove('on');
    announce(user ? 'Stopped following' : 'Follow paused');
    this.moved();
  }

  // ----- status and URL -----

  private setStatus(s: string): void {
    this.status.textContent = s;
  }

  private moved(): void {
    const b = this.block;
    const size = Math.max(b.size, b.end);
    const pct = this.pane.atBottom() ? 100 : size > 0 ? Math.floor((this.pane.topOffset / size) * 100) : 0;
    const mode = this.following ? (this.connection === 'reconnecting' ? 'reconnecting…' : 'following') : this.paused ? 'paused — press f to follow again' : '';
    const range = b.lines.length ? `bytes ${b.start.toLocaleString()}–${b.end.toLocaleString()} of ${size.toLocaleString()} held · at ${pct}%` : this.loaded ? 'empty file' : '';
    this.setStatus([range, mode].filter(Boolean).join(' · '));
    this.el.classList.toggle('is-following', this.following);
    this.el.classList.toggle('is-paused', this.paused);
    if (this.urlTimer) clearTimeout(this.urlTimer);
    this.urlTimer = setTimeout(() => this.writeUrl(), 250);
  }

  /** The route naming what is on screen now. */
  currentRoute(): FileRoute {
    const r: FileRoute = { kind: 'file', ref: this.ref };
    if (this.pane.selected !== null) r.offset = this.pane.selected;
    else if (this.following) r.follow = true;
    else if (this.block.lines.length && !this.pane.atBottom()) r.top = this.pane.topOffset;
    else r.end = true;
    if (this.findInput.value) r.find = this.findInput.value;
    return r;
  }

  private writeUrl(): void {
    if (this.destroyed) return;
    const hash = formatRoute(this.currentRoute());
    if (location.hash !== hash) history.replaceState(history.state, '', hash);
  }
}
