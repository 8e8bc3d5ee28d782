import type {
  CatalogEntry,
  CatalogSort,
  OtherCatalog
} from '../catalog/catalog.js';
import { html, layout, type Html } from './html.js';

const KIND_LABELS = {
  featured: 'featured',
  public: 'public server',
  popular: 'used by colleagues'
} as const;

function entryItem(entry: CatalogEntry, launchHere: boolean): Html {
  return html`<li class="envhub-catalog-entry" data-repo="${entry.repo}">
    <h3>${entry.title}</h3>
    <p class="envhub-catalog-kinds">
      ${entry.kinds.map(k => html`<span class="envhub-tag">${KIND_LABELS[k]}</span> `)}
    </p>
    <p>
      <code>${entry.repo}</code> (${entry.ref})${
        entry.description ? html` — ${entry.description}` : ''
      }
    </p>
    <p>
      <span
        class="envhub-catalog-launches"
        data-week="${String(entry.launches.week)}"
        data-month="${String(entry.launches.month)}"
        >${String(entry.launches.week)} launches in 7 days,
        ${String(entry.launches.month)} in 30 days</span
      >${entry.lastBuild ? html`; last built ${entry.lastBuild.slice(0, 10)}` : ''}
    </p>
    <p>
      <a href="${entry.launchUrl}"
        ><img src="${entry.badgeUrl}" alt="Launch on envhub"
      /></a>
      ${
        launchHere
          ? html`<a class="button" href="${entry.formUrl}">Launch</a>`
          : html`<a class="button" href="${entry.launchUrl}">Launch there</a>`
      }
      ${entry.publicUrl ? html` <a href="${entry.publicUrl}">Open without signing in</a>` : ''}
    </p>
  </li>`;
}

/** The catalog page: this hub's environments by popularity or recency, searchable, and other hubs'. */
export function catalogPage(options: {
  prefix: string;
  entries: CatalogEntry[];
  sort: CatalogSort;
  search: string;
  others: OtherCatalog[];
}): string {
  const { prefix, entries, sort, search } = options;
  const sortLink = (to: CatalogSort, label: string) =>
    to === sort
      ? html`<strong>${label}</strong>`
      : html`<a
          href="${prefix}catalog?sort=${to}${search ? `&q=${encodeURIComponent(search)}` : ''}"
          >${label}</a
        >`;
  const body = html`<h1>Catalog</h1>
    <p>
      Environments to launch: the ones this hub features, public servers, and
      repositories several people here have launched (counted without names; you
      can leave yours out of the counts on
      <a href="${prefix}#envhub-settings">envhub's page</a>).
    </p>
    <form method="get" action="${prefix}catalog" id="envhub-catalog-search">
      <input type="hidden" name="sort" value="${sort}" />
      <label
        >Search
        <input
          type="search"
          name="q"
          value="${search}"
          placeholder="repository or title"
      /></label>
      <button type="submit">Search</button>
    </form>
    <p>
      Sort by ${sortLink('popular', 'popularity')} ·
      ${sortLink('recent', 'recent launches')}
    </p>
    ${
      entries.length === 0
        ? html`<p id="envhub-catalog-empty">
            Nothing ${search ? 'matches your search' : 'in the catalog yet'}.
          </p>`
        : html`<ol id="envhub-catalog">
            ${entries.map(e => entryItem(e, true))}
          </ol>`
    }
    ${options.others.map(
      other =>
        html`<section class="envhub-other-catalog" data-hub="${other.url}">
          <h2>On ${other.name}</h2>
          ${
            other.problem
              ? html`<p>${other.name}: ${other.problem}.</p>`
              : html`<ol>
                  ${other.entries.map(e => entryItem(e, false))}
                </ol>`
          }
        </section>`
    )}`;
  return layout({ title: 'Catalog', prefix, body });
}
