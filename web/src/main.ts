import { ApiError } from './api.js';
import { h, link } from './dom.js';
import { cargPage } from './pages/carg.js';
import { plotsPage } from './pages/plots.js';
import { reportPage } from './pages/report.js';
import { runPage, runsPage } from './pages/runs.js';
import { tracePage } from './pages/trace.js';
import { tracesPage } from './pages/traces.js';
import './style.css';

/** A page: the path's parts and its query, rendered into one element (and the breadcrumb trail above it). */
export type Page = (params: URLSearchParams, id?: number) => Promise<{ title: string; crumbs: HTMLElement[]; body: HTMLElement }>;

const ROUTES: [RegExp, Page][] = [
  [/^\/$/, runsPage],
  [/^\/runs\/(\d+)$/, runPage],
  [/^\/traces$/, tracesPage],
  [/^\/traces\/(\d+)$/, tracePage],
  [/^\/report$/, reportPage],
  [/^\/plots$/, plotsPage],
  [/^\/carg$/, cargPage],
];

const app = document.getElementById('app')!;
const crumbs = document.getElementById('crumbs')!;
let rendering = 0;

async function render(): Promise<void> {
  const turn = ++rendering;
  const { pathname, search } = window.location;
  const found = ROUTES.map(([re, page]) => [re.exec(pathname), page] as const).find(([m]) => m);
  app.setAttribute('aria-busy', 'true');
  try {
    if (!found) throw new ApiError(`no page at ${pathname}`);
    const [m, page] = found;
    const out = await page(new URLSearchParams(search), m![1] ? Number(m![1]) : undefined);
    if (turn !== rendering) return; // a later navigation won
    document.title = `${out.title} · mtr view`;
    crumbs.replaceChildren(...out.crumbs.flatMap((c) => [h('span', { class: 'sep' }, '›'), c]));
    app.replaceChildren(out.body);
  } catch (e) {
    if (turn !== rendering) return;
    app.replaceChildren(h('p', { class: 'error', role: 'alert' }, e instanceof Error ? e.message : String(e)), h('p', {}, link('/', 'back to the runs')));
  } finally {
    if (turn === rendering) app.removeAttribute('aria-busy');
  }
}

/** Navigates inside the app (history entry, no reload). */
export function go(href: string): void {
  window.history.pushState(null, '', href);
  void render();
}

document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest('a[data-route], a.brand') as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  go(a.getAttribute('href')!);
});
window.addEventListener('popstate', () => void render());
void render();
