/**
 * Which Java stack traces are folded, by the byte offset of their first line (so the state survives
 * windows being added and trimmed). "Fold all" inverts the default; single toggles are exceptions to it.
 */
export class Folds {
  /** Fold every trace by default. */
  all = false;
  /** Heads whose state differs from the default. */
  private readonly flipped = new Set<number>();

  /** True when the trace starting at `head` is folded. */
  has(head: number): boolean {
    return this.all !== this.flipped.has(head);
  }

  /** Fold or unfold one trace. */
  toggle(head: number): void {
    if (!this.flipped.delete(head)) this.flipped.add(head);
  }

  /** Fold (`true`) or unfold every trace, forgetting single toggles. */
  setAll(on: boolean): void {
    this.all = on;
    this.flipped.clear();
  }
}
