/**
 * A tiny DOM builder. podlog's page is vanilla TypeScript: the only heavy part (the log viewer) is
 * hand-windowed anyway, so a framework would add bytes without removing code.
 */

/** Attribute/property bag for {@link h}. `on<event>` keys add listeners; `class`, `text`, `dataset` are special. */
export type Props = Record<string, unknown>;
/** A child: node, text, or nothing (skipped). Arrays are flattened. */
export type Child = Node | string | number | null | undefined | false | Child[];

/**
 * Create an element. `h('button', {class: 'x', onclick: fn, 'aria-label': 'Close'}, 'x')`.
 * Keys starting with `on` attach listeners; `text` sets textContent; `dataset` copies into data-*;
 * `hidden`, `disabled`, `checked`, `value` are set as properties; other keys as attributes (false/null skipped).
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v as EventListener);
      } else if (k === 'text') {
        el.textContent = String(v);
      } else if (k === 'dataset') {
        Object.assign(el.dataset, v);
      } else if (k === 'hidden' || k === 'disabled' || k === 'checked' || k === 'value' || k === 'title') {
        (el as unknown as Record<string, unknown>)[k] = v;
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

/** Append children (flattening arrays, skipping empty values). */
export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace all children of `el`. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, children);
}

/** A polite live region announcer for screen readers (status changes: "following", "connection lost"). */
export function announce(msg: string): void {
  const region = document.getElementById('announcer');
  if (region) region.textContent = msg;
}
