/**
 * The viewer's toolbar: start/end, follow, go-to box, find box with previous/next, wrap, fold,
 * download and copy-link. Pure construction: every action is a callback of the owner; the returned
 * handles let the owner reflect state (`aria-pressed`, find status).
 */
import { h } from '../dom.ts';

/** What the toolbar asks its owner to do. */
export interface ToolbarActions {
  start(): void;
  end(): void;
  toggleFollow(): void;
  goto(input: string): void;
  find(dir: 1 | -1): void;
  /** The find text changed (highlight it, forget old server hits). */
  findChanged(text: string): void;
  /** Escape in the find box: back to the lines. */
  leaveFind(): void;
  toggleWrap(): void;
  toggleFold(): void;
  copyLink(): void;
}

/** Elements of the toolbar the owner updates. */
export interface Toolbar {
  el: HTMLElement;
  followBtn: HTMLButtonElement;
  wrapBtn: HTMLButtonElement;
  foldBtn: HTMLButtonElement;
  findInput: HTMLInputElement;
  findStatus: HTMLElement;
  gotoInput: HTMLInputElement;
}

/** Set a toggle button's pressed state (and its `on` class). */
export function setPressed(b: HTMLButtonElement, on: boolean): void {
  b.setAttribute('aria-pressed', String(on));
  b.classList.toggle('on', on);
}

/**
 * Build the toolbar. `downloadUrl` is the file's `?download=1` URL, `fileName` its name (for the
 * accessible name and the saved file).
 */
export function buildToolbar(a: ToolbarActions, downloadUrl: string, fileName: string): Toolbar {
  const btn = (label: string, text: string, onclick: () => void, keys?: string) =>
    h('button', { type: 'button', class: 'tb', 'aria-label': label, title: keys ? `${label} (${keys})` : label, onclick, 'aria-keyshortcuts': keys }, text);
  const toggle = (label: string, text: string, onclick: () => void, keys: string) => {
    const b = btn(label, text, onclick, keys);
    setPressed(b, false);
    return b;
  };
  const followBtn = toggle('Follow', 'Follow', a.toggleFollow, 'f');
  const wrapBtn = toggle('Wrap lines', 'Wrap', a.toggleWrap, 'w');
  const foldBtn = toggle('Fold all stack traces', 'Fold', a.toggleFold, 'z');
  const findInput = h('input', { type: 'search', class: 'find', placeholder: 'Find in file', 'aria-label': 'Find in file', 'aria-keyshortcuts': '/' });
  const findStatus = h('span', { class: 'find-status', role: 'status' });
  findInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      a.find(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape') {
      findInput.blur();
      a.leaveFind();
    }
  });
  findInput.addEventListener('input', () => {
    findStatus.textContent = '';
    a.findChanged(findInput.value);
  });
  const gotoInput = h('input', { type: 'text', class: 'goto', placeholder: 'byte, 50%, or 2025-01-31 12:00', 'aria-label': 'Go to byte offset, percentage or time' });
  const gotoForm = h('form', { class: 'goto-form' }, gotoInput);
  gotoForm.addEventListener('submit', (e) => {
    e.preventDefault();
    a.goto(gotoInput.value);
  });
  const el = h(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Viewer' },
    btn('Go to start', 'Start', a.start, 'g'),
    btn('Go to end', 'End', a.end, 'Shift+G'),
    followBtn,
    gotoForm,
    h('span', { class: 'find-group' }, findInput, btn('Previous match', '↑', () => a.find(-1), 'Shift+N'), btn('Next match', '↓', () => a.find(1), 'n'), findStatus),
    wrapBtn,
    foldBtn,
    h('a', { class: 'tb', href: downloadUrl, download: fileName, 'aria-label': `Download ${fileName}`, title: 'Download the whole file' }, 'Download'),
    btn('Copy link to this view', 'Link', a.copyLink),
  );
  return { el, followBtn, wrapBtn, foldBtn, findInput, findStatus, gotoInput };
}
