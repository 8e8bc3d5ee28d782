import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  catalog,
  OtherCatalogs,
  readmeTitle
} from '../../src/catalog/catalog.js';
import { DEFAULT_SITE_CONFIG } from '../../src/policy/siteConfig.js';
import { Store } from '../../src/store/store.js';

const NOW = new Date('2026-11-20T12:00:00Z');
const daysAgo = (days: number) =>
  new Date(NOW.getTime() - days * 86_400_000).toISOString();
const REPO = (name: string) => `https://forge.example.org/${name}.git`;
const site = {
  ...DEFAULT_SITE_CONFIG,
  featured: [
    {
      title: 'Course kit',
      description: 'what the course uses',
      repo: REPO('kit'),
      ref: 'main'
    }
  ]
};
const options = {
  origin: 'https://hub.example.org',
  prefix: '/services/envhub/',
  now: NOW
};

function launches(
  store: Store,
  repo: string,
  users: string[],
  ago = 1,
  extra = {}
) {
  for (const user of users)
    store.recordUserLaunch(user, {
      repo,
      ref: 'main',
      private: false,
      at: daysAgo(ago),
      ...extra
    });
}

describe('the catalog', () => {
  test('featured environments, public servers and repositories several users launched, with counts', () => {
    const store = new Store(':memory:');
    launches(store, REPO('kit'), ['ada']);
    launches(store, REPO('popular'), ['ada', 'bob'], 2);
    launches(store, REPO('popular'), ['ada'], 20);
    launches(store, REPO('popular'), ['carl'], 40);
    // One user alone does not make a repository popular.
    launches(store, REPO('mine'), ['ada', 'ada']);
    store.setRepoTitle(REPO('popular'), 'A popular notebook');
    store.saveServer({
      owner: 'erin',
      name: 'demo',
      repo: REPO('shown'),
      ref: 'v1',
      commit: 'c'.repeat(40),
      image: 'i',
      ticket: 't',
      spec: { repo: REPO('shown'), ref: 'v1', name: 'demo', public: true },
      createdAt: daysAgo(3),
      updatedAt: daysAgo(3)
    });
    const entries = catalog(store, site, options);
    expect(entries.map(e => [e.repo, e.kinds, e.launches])).toEqual([
      [REPO('popular'), ['popular'], { week: 2, month: 3 }],
      [REPO('kit'), ['featured'], { week: 1, month: 1 }],
      [REPO('shown'), ['public'], { week: 0, month: 0 }]
    ]);
    const popular = entries[0];
    expect(popular.title).toBe('A popular notebook');
    expect(popular.launchUrl).toBe(
      `https://hub.example.org/services/envhub/v2/git/${encodeURIComponent(REPO('popular'))}/main`
    );
    expect(popular.formUrl).toBe(
      `/services/envhub/?repo=${encodeURIComponent(REPO('popular'))}&ref=main`
    );
    expect(popular.badge.markdown).toContain('badge.svg');
    expect(entries[2].publicUrl).toBe(
      'https://hub.example.org/services/envhub/public/erin/demo'
    );
    expect(JSON.stringify(entries)).not.toMatch(/"(ada|bob|carl)"/);
  });

  test('hidden launches and private repositories stay out', () => {
    const store = new Store(':memory:');
    launches(store, REPO('popular'), ['ada', 'bob']);
    launches(store, REPO('secret'), ['ada', 'bob'], 1, { private: true });
    store.setHideLaunches('bob', true);
    const listed = () => catalog(store, { ...site, featured: [] }, options);
    expect(listed()).toEqual([]);
    store.setHideLaunches('bob', false);
    expect(listed().map(e => e.repo)).toEqual([REPO('popular')]);
    // Launches while hidden stay hidden until the setting is turned off.
    store.setHideLaunches('bob', true);
    launches(store, REPO('popular'), ['bob']);
    expect(listed()).toEqual([]);
  });

  test('sorted by recency or popularity, searched by repository, title and description', () => {
    const store = new Store(':memory:');
    launches(store, REPO('old-favourite'), ['a', 'b', 'c'], 5);
    launches(store, REPO('newcomer'), ['a', 'b'], 0);
    const sorted = (sort: 'popular' | 'recent') =>
      catalog(store, { ...site, featured: [] }, { ...options, sort }).map(
        e => e.repo
      );
    expect(sorted('popular')).toEqual([
      REPO('old-favourite'),
      REPO('newcomer')
    ]);
    expect(sorted('recent')).toEqual([REPO('newcomer'), REPO('old-favourite')]);
    const search = (words: string) =>
      catalog(store, site, { ...options, search: words }).map(e => e.repo);
    expect(search('NEW')).toEqual([REPO('newcomer')]);
    expect(search('course uses')).toEqual([REPO('kit')]);
    expect(search('nothing like it')).toEqual([]);
  });

  test("a README's title: its first Markdown or reStructuredText heading", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'readme-'));
    expect(await readmeTitle(dir)).toBeNull();
    await writeFile(join(dir, 'README.rst'), 'Spectra\n=======\n\ntext\n');
    expect(await readmeTitle(dir)).toBe('Spectra');
    await writeFile(
      join(dir, 'README.md'),
      '[![badge](x)](y)\n\n## Ocean data ##\n# later\n'
    );
    expect(await readmeTitle(dir)).toBe('Ocean data');
  });
});

describe("other hubs' catalogs", () => {
  test('are read from their api/catalog (links only http(s), fields as text), and one that cannot be read says why', async () => {
    const { createServer } = await import('node:http');
    const theirs = {
      kinds: ['popular', 'unknown'],
      repo: 'https://forge.example.org/theirs.git',
      ref: 'main',
      title: 'Theirs',
      launches: { week: 3, month: 'many' },
      launchUrl: 'https://partner.example/services/envhub/v2/git/x/main',
      badgeUrl: 'https://partner.example/services/envhub/badge.svg',
      publicUrl: 'javascript:alert(1)'
    };
    const served = {
      entries: [theirs, { ...theirs, launchUrl: 'javascript:alert(1)' }, null]
    };
    const server = createServer((req, res) => {
      if (req.url === '/services/envhub/api/catalog')
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify(served));
      else res.writeHead(401).end();
    }).listen(0, '127.0.0.1');
    await new Promise(resolve => server.once('listening', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const others = new OtherCatalogs([
        { name: 'Partner', url: `http://127.0.0.1:${port}/services/envhub` },
        { name: 'Closed', url: `http://127.0.0.1:${port}/closed/` }
      ]);
      expect(await others.list()).toEqual([
        {
          name: 'Partner',
          url: `http://127.0.0.1:${port}/services/envhub/`,
          entries: [
            {
              kinds: ['popular'],
              repo: theirs.repo,
              ref: 'main',
              title: 'Theirs',
              description: '',
              launches: { week: 3, month: 0 },
              lastLaunch: null,
              lastBuild: null,
              launchUrl: theirs.launchUrl,
              badgeUrl: theirs.badgeUrl,
              badge: expect.objectContaining({
                markdown: expect.stringContaining(theirs.launchUrl)
              }),
              formUrl: theirs.launchUrl
            }
          ],
          problem: null
        },
        {
          name: 'Closed',
          url: `http://127.0.0.1:${port}/closed/`,
          entries: [],
          problem: 'its catalog cannot be read (answered 401)'
        }
      ]);
    } finally {
      server.close();
    }
  });
});
