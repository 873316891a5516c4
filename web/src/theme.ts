/** Light and dark themes: follows the system until the user picks one (kept in localStorage). */
import { h } from './dom.ts';

const KEY = 'podlog.theme';

function system(): 'light' | 'dark' {
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function stored(): 'light' | 'dark' | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

/** Apply the stored or system theme to `<html data-theme>`. */
export function initTheme(): void {
  document.documentElement.dataset['theme'] = stored() ?? system();
}

/** A button switching between light and dark. */
export function themeButton(): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'tb theme' });
  const label = () => {
    const dark = document.documentElement.dataset['theme'] === 'dark';
    b.textContent = dark ? '☀' : '☾';
    b.setAttribute('aria-label', dark ? 'Switch to light theme' : 'Switch to dark theme');
    b.title = b.getAttribute('aria-label')!;
  };
  b.addEventListener('click', () => {
    const next = document.documentElement.dataset['theme'] === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset['theme'] = next;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      /* private mode */
    }
    label();
  });
  label();
  return b;
}
