/**
 * A native scrollbar (a thin overflow box with a tall spacer) used as a position control: the
 * owner sets where the thumb is (a fraction 0–1) and hears where the user moves it. Only moves the
 * user makes count (pointer on the bar, wheel over it, within a second); the owner's own updates and
 * layout changes of the spacer never feed back as jumps.
 */
import { h } from '../dom.ts';

/** Callbacks of a {@link PositionBar}: `moving` on every user scroll, `settled` 60 ms after the last. */
export interface PositionBarEvents {
  moving(fraction: number): void;
  settled(fraction: number): void;
}

/** The scrollbar at the right of the viewer. */
export class PositionBar {
  readonly el: HTMLElement;
  private readonly spacer: HTMLElement;
  private down = false;
  private inputAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly onUp = () => {
    if (this.down) this.inputAt = performance.now();
    this.down = false;
  };

  private readonly ev: PositionBarEvents;

  constructor(ev: PositionBarEvents) {
    this.ev = ev;
    this.spacer = h('div', { class: 'spacer' });
    this.el = h('div', { class: 'vbar', 'aria-hidden': 'true' }, this.spacer);
    this.el.addEventListener('scroll', () => this.onScroll());
    this.el.addEventListener('pointerdown', () => {
      this.down = true;
      this.inputAt = performance.now();
    });
    window.addEventListener('pointerup', this.onUp);
    this.el.addEventListener('wheel', () => (this.inputAt = performance.now()), { passive: true });
  }

  /** Remove the window listener and timer. */
  destroy(): void {
    window.removeEventListener('pointerup', this.onUp);
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * Show the thumb at `fraction` (0–1) of a track `spacerPx` tall. Left alone while the user is
   * moving it or a move of theirs is being applied.
   */
  sync(fraction: number, spacerPx: number): void {
    this.spacer.style.height = `${spacerPx}px`;
    const max = spacerPx - this.el.clientHeight;
    if (max <= 0) return;
    const st = Math.round(Math.min(1, Math.max(0, fraction)) * max);
    const busy = this.down || this.timer !== null || performance.now() - this.inputAt < 500;
    if (!busy && Math.abs(this.el.scrollTop - st) >= 1) this.el.scrollTop = st;
  }

  /** Height of the track in px. */
  get height(): number {
    return this.el.clientHeight;
  }

  private onScroll(): void {
    if (!this.down && performance.now() - this.inputAt > 1000) return;
    const max = this.el.scrollHeight - this.el.clientHeight;
    const f = max > 0 ? this.el.scrollTop / max : 0;
    this.ev.moving(f);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ev.settled(f);
    }, 60);
  }
}
