/**
 * The windowed line pane: renders only the rows on screen (a small pool of row elements) from a
 * {@link LineBlock}, scrolls by pixels over rows of measured height (wrap on) or fixed height
 * (wrap off), and drives a native scrollbar that maps its position to a byte offset of the file,
 * so dragging it anywhere in a 1 GiB file fetches one window there. Position is kept as
 * (`topOffset`, `topPx`): the byte offset of the first row on screen and how many pixels of it are
 * scrolled out, which survives windows being added above or trimmed.
 */
import { h } from '../dom.ts';
import type { Line, LineBlock } from './block.ts';
import { Folds } from './folds.ts';
import { fillRow } from './row.ts';
import { PositionBar } from './scrollbar.ts';

/** Rows kept in the cache beyond the screen before more is fetched. */
const PREFETCH_ROWS = 150;

/** Events the pane reports to its owner. */
export interface PaneEvents {
  /** Position or selection changed (for the URL and the status line). */
  moved(): void;
  /** The user scrolled towards the start (pauses follow). */
  userScrolledUp(): void;
  /** A line was clicked in the gutter: select it. */
  selectLine(offset: number): void;
  /** A fetch failed. */
  error(e: unknown): void;
  /** The scrollbar asked for a jump the block does not hold (`'start' | 'end' | byte offset`). */
  jump(to: 'start' | 'end' | number): void;
  /** Permalink (hash) of the line at a byte offset, for the gutter link. */
  linkFor(offset: number): string;
}

/** The windowed view of a {@link LineBlock}. */
export class LinePane {
  readonly el: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly bar: PositionBar;
  private pool: HTMLElement[] = [];
  private rows: number[] = [];
  private rowsDirty = true;
  private heights = new Map<number, number>();
  private lineH = 18;
  private frame = 0;
  private resizeObs: ResizeObserver;

  /** Byte offset of the first line on screen. */
  topOffset = 0;
  /** Pixels of that line scrolled out above the top edge. */
  topPx = 0;
  /** Highlighted line (byte offset), or null. */
  selected: number | null = null;
  /** Current find expression (highlighted in rows), or null. */
  findRe: RegExp | null = null;
  /** Folded stack traces. */
  readonly folds = new Folds();
  wrap = false;
  /** Keep the last line at the bottom edge through resizes and appends (set by {@link toBottom}). */
  stickBottom = false;

  readonly block: LineBlock;
  private readonly ev: PaneEvents;

  constructor(block: LineBlock, ev: PaneEvents, label: string) {
    this.block = block;
    this.ev = ev;
    this.canvas = h('div', { class: 'canvas' });
    this.viewport = h('div', { class: 'viewport', tabindex: '0', role: 'log', 'aria-label': label, 'aria-live': 'off' }, this.canvas);
    this.bar = new PositionBar({ moving: (f) => this.barMoving(f), settled: (f) => this.barSettled(f) });
    this.el = h('div', { class: 'pane' }, this.viewport, this.bar.el);
    this.viewport.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('click', (e) => this.onClick(e));
    this.resizeObs = new ResizeObserver(() => {
      this.heights.clear();
      this.schedule();
    });
    this.resizeObs.observe(this.viewport);
  }

  /** Focus the scrolling area (for keyboard use). */
  focus(): void {
    this.viewport.focus({ preventScroll: true });
  }

  /** Stop observing; the element may be dropped. */
  destroy(): void {
    this.resizeObs.disconnect();
    cancelAnimationFrame(this.frame);
    this.bar.destroy();
  }

  /** The block changed (lines added, trimmed or replaced): re-render. */
  changed(): void {
    this.rowsDirty = true;
    this.schedule();
  }

  /** Toggle soft wrapping. */
  setWrap(on: boolean): void {
    this.wrap = on;
    this.el.classList.toggle('wrap', on);
    this.heights.clear();
    this.schedule();
  }

  /** Fold or unfold the stack trace whose first line is at `head`. */
  toggleFold(head: number): void {
    this.folds.toggle(head);
    this.changed();
  }

  /** Fold or unfold every stack trace. */
  setFoldAll(on: boolean): void {
    this.folds.setAll(on);
    this.changed();
  }

  /** Height of the viewport in px. */
  get height(): number {
    return this.viewport.clientHeight || 400;
  }

  /** Rows that fit on one screen. */
  get pageRows(): number {
    return Math.max(1, Math.floor(this.height / this.lineH));
  }

  private buildRows(): void {
    const lines = this.block.lines;
    const rows: number[] = [];
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.head >= 0 && this.folds.has(l.head)) continue;
      rows.push(i);
    }
    this.rows = rows;
    this.rowsDirty = false;
  }

  private ensureRows(): number[] {
    if (this.rowsDirty) this.buildRows();
    return this.rows;
  }

  /** Index in `rows` of the last row whose line offset ≤ `offset`. */
  private rowOf(offset: number): number {
    const rows = this.ensureRows();
    const lines = this.block.lines;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[rows[mid]!]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  private lineAt(row: number): Line | undefined {
    const i = this.ensureRows()[row];
    return i === undefined ? undefined : this.block.lines[i];
  }

  private heightOf(row: number): number {
    const l = this.lineAt(row);
    return (l && this.heights.get(l.offset)) ?? this.lineH;
  }

  /** The highest (row, px) the top may take so the last row ends at the bottom edge. */
  private maxTop(): { row: number; px: number } {
    const rows = this.ensureRows();
    const H = this.height;
    let sum = 0;
    for (let r = rows.length - 1; r >= 0; r--) {
      sum += this.heightOf(r);
      if (sum >= H) return { row: r, px: sum - H };
    }
    return { row: 0, px: 0 };
  }

  /** True when the last line of the file is on screen (the pane sits at the end of the file). */
  atBottom(): boolean {
    if (!this.block.eof) return false;
    const m = this.maxTop();
    const r = this.rowOf(this.topOffset);
    return r > m.row || (r === m.row && this.topPx >= m.px - 1);
  }

  /** Scroll so the file's last line is at the bottom edge (the block must hold the end). */
  toBottom(): void {
    this.stickBottom = true;
    const m = this.maxTop();
    this.topOffset = this.lineAt(m.row)?.offset ?? 0;
    this.topPx = m.px;
    this.schedule();
  }

  /** Put the line at `offset` on screen about a third down (or at the top with `atTop`). */
  reveal(offset: number, atTop = false): void {
    this.stickBottom = false;
    const r = this.rowOf(offset);
    const up = atTop ? 0 : Math.floor(this.pageRows / 3);
    const top = Math.max(0, r - up);
    this.topOffset = this.lineAt(top)?.offset ?? offset;
    this.topPx = 0;
    this.clamp();
    this.schedule();
  }

  /** True when the line starting at `offset` is (at least partly) on screen. */
  onScreen(offset: number): boolean {
    const rows = this.ensureRows();
    const lines = this.block.lines;
    const i = this.rowOf(offset);
    if (lines[rows[i] ?? -1]?.offset !== offset) return false;
    const top = this.rowOf(this.topOffset);
    if (i < top) return false;
    let y = -this.topPx;
    for (let r = top; r < i; r++) {
      y += this.heightOf(r);
      if (y >= this.height) return false;
    }
    return true;
  }

  /** True when `offset` lies in the block with at least `margin` lines either side (or the file edge). */
  holds(offset: number, margin = 50): boolean {
    const b = this.block;
    if (b.lines.length === 0 || offset < b.start || offset >= Math.max(b.end, b.start + 1)) return false;
    const i = b.indexOf(offset);
    return (b.atStart || i >= margin) && (b.eof || b.lines.length - i >= margin);
  }

  /** Scroll by `dy` pixels (positive = towards the end of the file). */
  scrollByPx(dy: number): void {
    if (dy < 0) {
      this.stickBottom = false;
      this.ev.userScrolledUp();
    }
    let r = this.rowOf(this.topOffset);
    let px = this.topPx + dy;
    const n = this.ensureRows().length;
    while (px < 0 && r > 0) {
      r--;
      px += this.heightOf(r);
    }
    if (px < 0) px = 0;
    while (r < n - 1 && px >= this.heightOf(r)) {
      px -= this.heightOf(r);
      r++;
    }
    this.topOffset = this.lineAt(r)?.offset ?? 0;
    this.topPx = px;
    this.clamp();
    if (dy > 0 && this.atBottom()) this.stickBottom = true;
    this.schedule();
  }

  /** Scroll by whole rows (keyboard). */
  scrollRows(n: number): void {
    this.scrollByPx(n * this.lineH);
  }

  private clamp(): void {
    const m = this.maxTop();
    const r = this.rowOf(this.topOffset);
    if (r > m.row || (r === m.row && this.topPx > m.px)) {
      this.topOffset = this.lineAt(m.row)?.offset ?? 0;
      this.topPx = m.px;
    }
  }

  /** Render on the next animation frame. */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Render now (tests and benchmarks may call it to avoid waiting a frame). */
  render(): void {
    this.measureLineHeight();
    const rows = this.ensureRows();
    if (this.stickBottom && this.block.eof) {
      const m = this.maxTop();
      this.topOffset = this.lineAt(m.row)?.offset ?? 0;
      this.topPx = m.px;
    }
    this.clamp();
    const top = this.rowOf(this.topOffset);
    const need = Math.ceil(this.height / this.lineH) + 2;
    while (this.pool.length < need) {
      const el = h('div', { class: 'row' });
      this.pool.push(el);
      this.canvas.appendChild(el);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const el = this.pool[i]!;
      const idx = rows[top + i];
      const line = idx === undefined || i >= need ? undefined : this.block.lines[idx];
      if (!line) {
        el.hidden = true;
        el.dataset['key'] = '';
        continue;
      }
      el.hidden = false;
      fillRow(el, line, { folded: line.groupSize > 0 && this.folds.has(line.offset), selected: this.selected === line.offset, findRe: this.findRe, href: this.ev.linkFor(line.offset) });
    }
    this.canvas.style.transform = `translateY(${-this.topPx}px)`;
    if (this.wrap) {
      for (let i = 0; i < need; i++) {
        const el = this.pool[i]!;
        const idx = rows[top + i];
        if (idx === undefined || el.hidden) break;
        this.heights.set(this.block.lines[idx]!.offset, el.offsetHeight);
      }
    }
    this.syncBar(top);
    this.prefetch(top);
    this.ev.moved();
  }

  private measureLineHeight(): void {
    const v = parseFloat(getComputedStyle(this.el).getPropertyValue('--lh'));
    if (v > 0) this.lineH = v;
  }

  private onClick(e: MouseEvent): void {
    const t = e.target as HTMLElement;
    const row = t.closest<HTMLElement>('.row');
    if (!row) return;
    const off = Number(row.dataset['offset']);
    if (t.closest('.fold')) {
      this.toggleFold(off);
    } else if (t.closest('.gutter')) {
      e.preventDefault();
      this.ev.selectLine(off);
    }
  }

  private onWheel(e: WheelEvent): void {
    if (Math.abs(e.deltaY) < Math.abs(e.deltaX)) return;
    e.preventDefault();
    const unit = e.deltaMode === 1 ? this.lineH : e.deltaMode === 2 ? this.height : 1;
    this.scrollByPx(e.deltaY * unit);
  }

  /** The whole file is in the block: the scrollbar maps rows, not bytes. */
  private whole(): boolean {
    return this.block.atStart && this.block.eof;
  }

  private syncBar(top: number): void {
    const whole = this.whole();
    const H = this.bar.height || this.height;
    const spacerH = whole ? Math.max(H, this.rows.length * this.lineH) : Math.max(H * 50, 20000);
    let f: number;
    if (whole) f = top / Math.max(1, this.maxTop().row);
    else if (this.atBottom()) f = 1;
    else f = this.block.size > 0 ? this.topOffset / this.block.size : 0;
    this.bar.sync(f, spacerH);
  }

  /** The user moves the thumb: a file held whole scrolls at once, by rows. */
  private barMoving(f: number): void {
    if (!this.whole()) return;
    const r = Math.round(f * this.maxTop().row);
    if (r < this.rowOf(this.topOffset)) this.ev.userScrolledUp();
    this.stickBottom = false;
    this.topOffset = this.lineAt(r)?.offset ?? 0;
    this.topPx = 0;
    this.schedule();
  }

  /** The thumb came to rest: in a larger file, show (fetching when needed) that fraction of its bytes. */
  private barSettled(f: number): void {
    if (this.whole()) return;
    this.stickBottom = false;
    this.ev.userScrolledUp();
    if (f >= 0.999) return this.ev.jump('end');
    if (f <= 0.001) return this.ev.jump('start');
    const target = Math.floor(f * this.block.size);
    if (this.holds(target, this.pageRows + 10)) {
      this.topOffset = this.block.lines[this.block.indexOf(target)]!.offset;
      this.topPx = 0;
      this.schedule();
    } else this.ev.jump(target);
  }

  private prefetch(top: number): void {
    const rows = this.rows.length;
    if (top < PREFETCH_ROWS && !this.block.atStart) {
      // The position is a byte offset, so lines added above do not move what is on screen.
      this.block.extendUp().then((added) => added && this.changed(), this.ev.error);
    }
    if (rows - top < PREFETCH_ROWS + this.pageRows && !this.block.eof) {
      this.block.extendDown().then((added) => added && this.changed(), this.ev.error);
    }
  }
}
