/**
 * Drawing one viewer row: gutter link (byte offset), fold toggle on a stack trace's first line,
 * the text with find matches marked, and markers for cut or folded lines. Rows are pooled, so a
 * row is only redrawn when what it shows changed (its `data-key`).
 */
import { h } from '../dom.ts';
import type { Line } from './block.ts';

/** Characters of one line drawn (a line may be up to 1 MiB); the rest is named, not drawn. */
export const MAX_SHOWN_CHARS = 10_000;

/** How a line is to be shown. */
export interface RowState {
  folded: boolean;
  selected: boolean;
  /** Find expression to mark (global flag), or null. */
  findRe: RegExp | null;
  /** Permalink of the line (gutter link). */
  href: string;
}

/** Draw `l` into the pooled row element `el` (no-op when it already shows exactly that). */
export function fillRow(el: HTMLElement, l: Line, s: RowState): void {
  const key = `${l.offset}|${l.level}|${s.folded}|${s.selected}|${s.findRe?.source ?? ''}|${l.groupSize}|${l.text.length}`;
  if (el.dataset['key'] === key) return;
  el.dataset['key'] = key;
  el.dataset['offset'] = String(l.offset);
  el.className = `row${l.level ? ` lv-${l.level}` : ''}${l.cont ? ' cont' : ''}${l.groupSize > 0 ? ' head' : ''}${s.selected ? ' hl' : ''}`;
  el.replaceChildren();
  el.appendChild(h('a', { class: 'gutter', href: s.href, title: 'Link to this line', 'aria-label': `Line at byte ${l.offset}`, text: String(l.offset) }));
  if (l.groupSize > 0) {
    el.appendChild(
      h('button', { class: 'fold', type: 'button', 'aria-expanded': String(!s.folded), 'aria-label': `${s.folded ? 'Unfold' : 'Fold'} stack trace (${l.groupSize} lines)`, text: s.folded ? '▸' : '▾' }),
    );
  }
  const text = h('span', { class: 'text' });
  const long = l.text.length > MAX_SHOWN_CHARS;
  markText(text, long ? l.text.slice(0, MAX_SHOWN_CHARS) : l.text, s.findRe);
  el.appendChild(text);
  if (long) el.appendChild(h('span', { class: 'trunc', text: ` … ${(l.text.length - MAX_SHOWN_CHARS).toLocaleString()} more characters (Download has the whole line)` }));
  if (l.truncated) el.appendChild(h('span', { class: 'trunc', text: ' [line truncated]' }));
  if (s.folded) el.appendChild(h('span', { class: 'more', text: ` … ${l.groupSize} more lines` }));
}

/** Put `text` into `el`, wrapping matches of `re` (global) in `<mark>`. */
export function markText(el: HTMLElement, text: string, re: RegExp | null): void {
  if (!re) {
    el.textContent = text;
    return;
  }
  re.lastIndex = 0;
  let at = 0;
  for (let m = re.exec(text); m && m[0].length > 0; m = re.exec(text)) {
    if (m.index > at) el.appendChild(document.createTextNode(text.slice(at, m.index)));
    el.appendChild(h('mark', { text: m[0] }));
    at = m.index + m[0].length;
  }
  if (at < text.length) el.appendChild(document.createTextNode(text.slice(at)));
}
