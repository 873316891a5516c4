/**
 * The log viewer page: toolbar (go to start/end/offset/time, follow, wrap, fold, find, download,
 * copy link), the windowed {@link LinePane}, a status line, and the glue: follow over SSE, permalinks
 * (the hash always names the file and the highlighted line or the first line on screen), error states.
 */
import { ApiError, fileUrl, linesBefore, linesFrom, linesTail, type FileRef } from '../api.ts';
import { h, replace } from '../dom.ts';
import { fmtBytes, fmtTime } from '../format.ts';
import { formatRoute, type Route } from '../route.ts';
import { LineBlock } from './block.ts';
import { normaliseTime } from './decorate.ts';
import { Finder, findRegExp } from './find.ts';
import { FollowMode } from './follow.ts';
import { Banner, describeFailure } from './banner.ts';
import { LinePane } from './pane.ts';
import { buildToolbar, setPressed } from './toolbar.ts';
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
  private readonly follow: FollowMode;
  private readonly banner: Banner;
  private readonly status: HTMLElement;
  private readonly followBtn: HTMLButtonElement;
  private readonly wrapBtn: HTMLButtonElement;
  private readonly foldBtn: HTMLButtonElement;
  private readonly findInput: HTMLInputElement;
  private readonly findStatus: HTMLElement;
  private readonly meta: HTMLElement;
  private crumbsEl: ChildNode;
  private urlTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private lastAction: (() => Promise<void>) | null = null;
  private destroyed = false;
  /** A window was read at least once (so an empty block means an empty file). */
  private loaded = false;

  private readonly ctx: ViewerContext;

  constructor(route: FileRoute, ctx: ViewerContext) {
    this.ctx = ctx;
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
    this.banner = new Banner(formatRoute({ kind: 'pod', namespace: ref.namespace, pod: ref.pod, uid: ref.uid }));
    this.follow = new FollowMode({
      block: this.block,
      pane: this.pane,
      banner: this.banner,
      jumpEnd: () => this.jump('end'),
      urlFor: (o) => fileUrl(ref, '/follow', { offset: o }),
      changed: () => {
        setPressed(this.followBtn, this.follow.following);
        this.refreshMeta();
        this.moved();
      },
      destroyed: () => this.destroyed,
    });
    const tb = buildToolbar(
      {
        start: () => void this.jump('start'),
        end: () => void this.jump('end'),
        toggleFollow: () => void this.toggleFollow(),
        goto: (v) => void this.goto(v),
        find: (dir) => void this.find(dir),
        findChanged: (text) => {
          this.finder.reset();
          this.pane.findRe = text ? findRegExp(text) : null;
          this.pane.changed();
        },
        leaveFind: () => this.pane.focus(),
        toggleWrap: () => this.toggleWrap(),
        toggleFold: () => this.toggleFoldAll(),
        copyLink: () => void this.copyLink(),
      },
      fileUrl(ref, '', { download: 1 }),
      ref.file,
    );
    this.followBtn = tb.followBtn;
    this.wrapBtn = tb.wrapBtn;
    this.foldBtn = tb.foldBtn;
    this.findInput = tb.findInput;
    this.findStatus = tb.findStatus;
    this.meta = h('span', { class: 'meta' });
    this.crumbsEl = ctx.crumbs(ref) as ChildNode;
    this.status = h('div', { class: 'status', 'aria-live': 'polite' });
    this.el = h(
      'section',
      { class: 'viewer', 'aria-label': `Log file ${ref.file}` },
      h('header', { class: 'vhead' }, this.crumbsEl, this.meta),
      tb.el,
      this.banner.el,
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
        this.moved();
        this.writeUrl(); // name the selection in the URL now, not after the scroll debounce
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
    this.follow.stop();
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
      this.banner.clear();
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
    const f = describeFailure(e);
    this.banner.show(f.text, f.level, f.backToPod);
    if (f.then === 'retry') {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      // 429: wait as long as the agent asks (at least 5 s) instead of the usual 2 s.
      const wait = e instanceof ApiError && e.status === 429 ? Math.max(5000, e.retryAfterMs ?? 0) : 2000;
      this.retryTimer = setTimeout(() => this.lastAction && void this.run(this.lastAction), wait);
    } else if (f.then === 'end') void this.jump('end');
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
    
  }

  /** Select (highlight) a line and name it in the URL. */
  select(offset: number | null): void {
    this.pane.selected = offset;
    this.pane.changed();
    this.moved();
    this.writeUrl();
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
      this.banner.show(`"${v}" is not a byte offset, a percentage or a time (YYYY-MM-DD HH:MM:SS).`, 'warn');
      return;
    }
    this.pauseFollow();
    await this.run(async () => {
      this.setStatus(`Looking for ${t.replace('T', ' ')}…`);
      let fileSize = size;
      if (!fileSize) {
        const t1 = await linesTail(this.ref, 1);
        fileSize = t1.size ?? t1.nextOffset;
      }
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
    setPressed(this.wrapBtn, on);
  }

  private toggleFoldAll(): void {
    const on = !this.pane.folds.all;
    this.pane.setFoldAll(on);
    setPressed(this.foldBtn, on);
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
    if (this.follow.following) this.pauseFollow(true);
    else await this.startFollow();
  }

  /** Go to the end and append lines as they are written. */
  async startFollow(): Promise<void> {
    await this.follow.start();
  }

  /** Stop following; `user` when asked for explicitly (no "paused" hint). */
  pauseFollow(user = false): void {
    this.follow.pause(user);
  }

  // ----- status and URL -----

  private setStatus(s: string): void {
    this.status.textContent = s;
  }

  private moved(): void {
    const b = this.block;
    const size = Math.max(b.size, b.end);
    const pct = this.pane.atBottom() ? 100 : size > 0 ? Math.floor((this.pane.topOffset / size) * 100) : 0;
    const f = this.follow;
    const mode = f.following ? (f.connection === 'reconnecting' ? 'reconnecting…' : 'following') : f.paused ? 'paused — press f to follow again' : '';
    const range = b.lines.length ? `bytes ${b.start.toLocaleString()}–${b.end.toLocaleString()} of ${size.toLocaleString()} held · at ${pct}%` : this.loaded ? 'empty file' : '';
    this.setStatus([range, mode].filter(Boolean).join(' · '));
    this.el.classList.toggle('is-following', f.following);
    this.el.classList.toggle('is-paused', f.paused);
    if (this.urlTimer) clearTimeout(this.urlTimer);
    this.urlTimer = setTimeout(() => this.writeUrl(), 250);
  }

  /** The route naming what is on screen now. */
  currentRoute(): FileRoute {
    const r: FileRoute = { kind: 'file', ref: this.ref };
    // The highlighted line names the view while it is on screen; once scrolled away, the position does.
    if (this.pane.selected !== null && this.pane.onScreen(this.pane.selected)) r.offset = this.pane.selected;
    else if (this.follow.following) r.follow = true;
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
