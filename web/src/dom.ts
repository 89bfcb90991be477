/** A tiny element builder: the pages are plain DOM, no framework. */
export type Child = Node | string | number | null | undefined | false | Child[];

export function h(tag: string, attrs: Record<string, string | number | boolean | undefined | ((e: Event) => void)> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: HTMLElement, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** A link the router follows without reloading the page. */
export const link = (href: string, ...children: Child[]): HTMLElement => h('a', { href, 'data-route': true }, ...children);

/** A query string from the set values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const json = (v: unknown): string => JSON.stringify(v, null, 2);

export const table = (head: string[], rows: Child[][], attrs: Record<string, string> = {}): HTMLElement =>
  h('table', attrs, h('thead', {}, h('tr', {}, ...head.map((x) => h('th', {}, x)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));

/** Collapsed detail: the summary line, and the content shown on demand. */
export const details = (summary: Child, ...content: Child[]): HTMLElement => h('details', {}, h('summary', {}, summary), ...content);

export const pre = (text: string, cls = ''): HTMLElement => h('pre', cls ? { class: cls } : {}, text);
