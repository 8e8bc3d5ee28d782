import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  badgeSnippets,
  launchPath,
  editQuery,
  type BadgeSnippets,
  type EnvironmentSpec
} from '@envhub/schema';
import { log } from '../log.js';
import { publicPagePath } from '../launches/serverView.js';
import type { SiteConfig } from '../policy/siteConfig.js';
import type { Store } from '../store/store.js';

/**
 * The catalog: environments people may launch — the admin's featured ones, public servers, and
 * repositories launched by at least `catalog.minUsers` different users (counts only, never who),
 * with their launches over 7 and 30 days.
 */
export interface CatalogEntry {
  /** Why it is listed: featured by the admin, a public server, or launched by several users. */
  kinds: Array<'featured' | 'public' | 'popular'>;
  repo: string;
  ref: string;
  title: string;
  description: string;
  launches: { week: number; month: number };
  /** When it was last launched, and when its environment was last built (ISO 8601), if ever. */
  lastLaunch: string | null;
  lastBuild: string | null;
  /** The Binder-style link that launches it, its badge, and the home page's form prefilled with it. */
  launchUrl: string;
  badgeUrl: string;
  badge: BadgeSnippets;
  formUrl: string;
  /** A public server's page, where anyone gets a temporary session of it. */
  publicUrl?: string;
}

export type CatalogSort = 'popular' | 'recent';

/** The title of a README: its first Markdown or reStructuredText heading, if it has one. */
export async function readmeTitle(repoDir: string): Promise<string | null> {
  for (const name of ['README.md', 'README.rst', 'README.markdown', 'README']) {
    const text = await readFile(join(repoDir, name), 'utf8').catch(() => null);
    if (text === null) continue;
    const lines = text.split(/\r?\n/).slice(0, 60);
    for (let i = 0; i < lines.length; i++) {
      const atx = /^#{1,3}\s+(.+?)\s*#*\s*$/.exec(lines[i]);
      if (atx) return atx[1].slice(0, 200);
      const underline = lines[i + 1] ?? '';
      if (
        lines[i].trim() &&
        /^(=+|-+|~+)\s*$/.test(underline) &&
        underline.trim().length >= lines[i].trim().length
      )
        return lines[i].trim().slice(0, 200);
    }
    return null;
  }
  return null;
}

const DAY_MS = 86_400_000;

/** The catalog of this hub, sorted and searched (repository, title and description, any case). */
export function catalog(
  store: Store,
  site: SiteConfig,
  options: {
    origin: string;
    prefix: string;
    now: Date;
    sort?: CatalogSort;
    search?: string;
  }
): CatalogEntry[] {
  const { origin, prefix, now } = options;
  const counts = new Map(
    store
      .launchCounts({
        week: new Date(now.getTime() - 7 * DAY_MS).toISOString(),
        month: new Date(now.getTime() - 30 * DAY_MS).toISOString()
      })
      .map(row => [row.repo, row])
  );
  const titles = store.repoTitles();
  const builds = store.lastBuilds();
  const entries = new Map<string, CatalogEntry>();
  const entry = (
    key: string,
    spec: EnvironmentSpec,
    kind: CatalogEntry['kinds'][number],
    described: { title?: string; description?: string } = {}
  ) => {
    const found = entries.get(key);
    if (found) {
      if (!found.kinds.includes(kind)) found.kinds.push(kind);
      return found;
    }
    const count = counts.get(spec.repo);
    const launchUrl = `${origin}${prefix}${launchPath(spec)}`;
    const created: CatalogEntry = {
      kinds: [kind],
      repo: spec.repo,
      ref: spec.ref ?? 'HEAD',
      title:
        described.title ??
        titles.get(spec.repo) ??
        spec.repo.replace(/^https?:\/\//, '').replace(/\.git$/, ''),
      description: described.description ?? '',
      launches: { week: count?.week ?? 0, month: count?.month ?? 0 },
      lastLaunch: count?.last ?? null,
      lastBuild: builds.get(spec.repo) ?? null,
      launchUrl,
      badgeUrl: `${origin}${prefix}badge.svg`,
      badge: badgeSnippets(launchUrl, `${origin}${prefix}badge.svg`),
      formUrl: `${prefix}?${editQuery(spec)}`
    };
    entries.set(key, created);
    return created;
  };

  for (const featured of site.featured)
    entry(
      featured.repo,
      { repo: featured.repo, ref: featured.ref ?? 'HEAD' },
      'featured',
      featured
    );
  for (const server of store.allServers()) {
    if (!server.spec.public || server.private) continue;
    const shown = entry(
      `${server.owner}/${server.name}`,
      { repo: server.repo, ref: server.ref },
      'public',
      {
        title: server.spec.displayName ?? titles.get(server.repo),
        description: `public server ${server.name} of ${server.owner}`
      }
    );
    shown.publicUrl = `${origin}${prefix}${publicPagePath(server.owner, server.name)}`;
  }
  for (const row of counts.values())
    if (row.users >= site.catalog.minUsers)
      entry(row.repo, { repo: row.repo, ref: row.ref }, 'popular');

  const words = (options.search ?? '')
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean);
  const listed = [...entries.values()].filter(e =>
    words.every(word =>
      `${e.repo} ${e.title} ${e.description}`.toLowerCase().includes(word)
    )
  );
  return options.sort === 'recent'
    ? listed.sort((a, b) =>
        (b.lastLaunch ?? '').localeCompare(a.lastLaunch ?? '')
      )
    : listed.sort(
        (a, b) =>
          b.launches.week - a.launches.week ||
          b.launches.month - a.launches.month ||
          a.title.localeCompare(b.title)
      );
}

/** Other hubs' catalogs (`api/catalog` of each in `otherHubs`), read at most every five minutes. */
export class OtherCatalogs {
  private cached: { at: number; hubs: OtherCatalog[] } | null = null;

  constructor(
    private readonly hubs: SiteConfig['otherHubs'],
    private readonly timeoutMs = 3000
  ) {}

  async list(): Promise<OtherCatalog[]> {
    if (this.cached && Date.now() - this.cached.at < 300_000)
      return this.cached.hubs;
    const hubs = await Promise.all(
      this.hubs.map(async ({ name, url }) => {
        const base = url.replace(/\/?$/, '/');
        try {
          const response = await fetch(`${base}api/catalog`, {
            signal: AbortSignal.timeout(this.timeoutMs),
            redirect: 'error'
          });
          if (!response.ok) throw new Error(`answered ${response.status}`);
          const body = (await response.json()) as { entries?: unknown };
          return {
            name,
            url: base,
            entries: Array.isArray(body.entries)
              ? body.entries.flatMap(fromOtherHub)
              : [],
            problem: null
          };
        } catch (err) {
          log.warn('catalog.other_hub_failed', {
            hub: base,
            error: (err as Error).message
          });
          return {
            name,
            url: base,
            entries: [],
            problem: `its catalog cannot be read (${(err as Error).message})`
          };
        }
      })
    );
    this.cached = { at: Date.now(), hubs };
    return hubs;
  }
}

const web = (value: unknown): value is string =>
  typeof value === 'string' && /^https?:\/\//i.test(value);
const text = (value: unknown) => (typeof value === 'string' ? value : '');
const count = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? value : 0;

/**
 * An entry of another hub's catalog as this hub shows it: only its fields, as text, and links
 * only when they are http(s) (another hub's answer is not trusted to be well-formed).
 */
function fromOtherHub(raw: unknown): CatalogEntry[] {
  const entry = (raw ?? {}) as Record<string, unknown>;
  if (!web(entry.launchUrl) || !web(entry.badgeUrl)) return [];
  const launches = (entry.launches ?? {}) as Record<string, unknown>;
  const kinds = Array.isArray(entry.kinds) ? entry.kinds : [];
  return [
    {
      kinds: (['featured', 'public', 'popular'] as const).filter(k =>
        kinds.includes(k)
      ),
      repo: text(entry.repo),
      ref: text(entry.ref),
      title: text(entry.title) || text(entry.repo),
      description: text(entry.description),
      launches: { week: count(launches.week), month: count(launches.month) },
      lastLaunch: text(entry.lastLaunch) || null,
      lastBuild: text(entry.lastBuild) || null,
      launchUrl: entry.launchUrl,
      badgeUrl: entry.badgeUrl,
      badge: badgeSnippets(entry.launchUrl, entry.badgeUrl),
      formUrl: entry.launchUrl,
      ...(web(entry.publicUrl) ? { publicUrl: entry.publicUrl } : {})
    }
  ];
}

export interface OtherCatalog {
  name: string;
  url: string;
  entries: CatalogEntry[];
  problem: string | null;
}
