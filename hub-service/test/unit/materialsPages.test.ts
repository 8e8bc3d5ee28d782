import {
  afterAll,
  afterEach,
  beforeEach,
  describe,
  expect,
  it
} from '@jest/globals';
import {
  launchPath,
  parseLaunch,
  specDiff,
  validateSpec,
  type EnvironmentSpec,
  type ServerView,
  type ValidEnvironmentSpec
} from '@envhub/schema';
import { homePage } from '../../src/pages/homePage.js';
import { confirmPage, differsPage } from '../../src/pages/launchPages.js';
import { DEFAULT_SITE_CONFIG } from '../../src/policy/siteConfig.js';
import {
  captureLogs,
  PREFIX,
  testApp,
  type TestApp
} from '../support/fakes.js';
import { seedFixtures, signIn } from '../support/fixtures.js';
import { expectStatus } from '../support/http.js';

const materials = 'https://forge.example.org/course/materials.git';

function valid(spec: EnvironmentSpec): ValidEnvironmentSpec & { name: string } {
  const result = validateSpec(spec);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return { ...result.spec, name: result.spec.name ?? 'course' };
}

const classSpec = valid({
  repo: 'https://forge.example.org/course/env.git',
  ref: 'main',
  name: 'course',
  urlpath: 'lab/tree/materials/week1.ipynb',
  materials: [
    { repo: materials },
    {
      repo: 'https://forge.example.org/course/data.git?x=<b>',
      ref: 'week-1',
      path: 'data/week 1'
    }
  ],
  mounts: [{ source: 'class', target: '/home/jovyan/class', readOnly: true }]
});

const page = (spec: ValidEnvironmentSpec & { name: string }) => ({
  prefix: PREFIX,
  xsrf: 'x',
  spec,
  launch: launchPath(spec),
  editUrl: PREFIX
});

/** The text of an HTML fragment, tags removed and white space collapsed. */
const text = (markup: string) =>
  markup
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');

const listItems = (markup: string, id: string) =>
  [
    ...(markup
      .split(`id="${id}"`)[1]
      ?.split('</ul>')[0]
      .matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g) ?? [])
  ].map(match => text(match[1]).trim());

describe('the confirmation page', () => {
  const markup = confirmPage({
    ...page(classSpec),
    resources: DEFAULT_SITE_CONFIG.resources.defaults
  });

  it('lists what each material pulls, from which branch, and where', () => {
    const pulls = listItems(markup, 'envhub-capabilities').filter(item =>
      item.startsWith('Pulls')
    );
    expect(pulls).toEqual([
      `Pulls ${materials} (its default branch) into ~/materials at every launch, merging with your changes as nbgitpuller does: new files and upstream changes come in, and where both changed the same lines, yours are kept.`,
      'Pulls https://forge.example.org/course/data.git?x=<b> (branch week-1) into ~/data/week 1 at every launch, merging with your changes as nbgitpuller does: new files and upstream changes come in, and where both changed the same lines, yours are kept.'
    ]);
  });

  it('escapes what the link says', () => {
    expect(markup).not.toContain('x=<b>');
    expect(markup).toContain('x=&lt;b&gt;');
  });

  it('says nothing about materials when there are none', () => {
    const plain = confirmPage({
      ...page(valid({ repo: 'https://forge.example.org/x.git' })),
      resources: DEFAULT_SITE_CONFIG.resources.defaults
    });
    expect(listItems(plain, 'envhub-capabilities').join(' ')).not.toContain(
      'Pulls'
    );
  });

  it('lists the materials of a Binder + nbgitpuller link', () => {
    const binder = parseLaunch(
      'v2/gh/org/env/main?urlpath=git-pull%3Frepo%3Dhttps%253A%252F%252Fgithub.com%252Forg%252Fmaterials%26urlpath%3Dlab%252Ftree%252Fmaterials%252Fweek1.ipynb%26branch%3Dmain'
    );
    if (!binder.ok) throw new Error(JSON.stringify(binder.errors));
    const items = listItems(
      confirmPage({
        ...page({ ...binder.spec, name: 'env' }),
        resources: DEFAULT_SITE_CONFIG.resources.defaults
      }),
      'envhub-capabilities'
    );
    expect(items).toContainEqual(
      expect.stringMatching(
        /^Pulls https:\/\/github\.com\/org\/materials \(branch main\) into ~\/materials /
      )
    );
    expect(items).toContain('Opens lab/tree/materials/week1.ipynb.');
  });
});

describe('the "environment differs" page', () => {
  const before = valid({ ...classSpec, materials: [{ repo: materials }] });
  const after = valid({
    ...classSpec,
    ref: 'v2',
    materials: [{ repo: materials, ref: 'main', path: 'week1' }]
  });
  const markup = differsPage({
    ...page(after),
    changes: specDiff(before, after)
  });

  it('shows a materials change as link values, with a note that it needs no restart', () => {
    const row = markup.split('data-field="materials"')[1].split('</tr>')[0];
    expect(text(row).replace(/^>/, '').trim()).toBe(
      `materials ${materials} ${materials}#ref=main&path=week1`
    );
    expect(markup).toContain('id="envhub-materials-note"');
    expect(markup).toContain('data-field="ref"');
  });

  it('shows no note without a materials change', () => {
    const other = differsPage({
      ...page(after),
      changes: specDiff(before, { ...before, ref: 'v2' })
    });
    expect(other).not.toContain('envhub-materials-note');
    expect(other).not.toContain('data-field="materials"');
  });
});

describe('the home page', () => {
  const data = {
    prefix: PREFIX,
    xsrf: 'x',
    user: 'teacher',
    site: DEFAULT_SITE_CONFIG,
    servers: [] as ServerView[],
    volumes: [],
    classes: [],
    sessions: [],
    credentials: [],
    singleSignOnHosts: [],
    hideLaunches: false
  };

  it('prefills the materials and mounts, one per line, from a link', () => {
    const markup = homePage({
      ...data,
      prefill: {
        repo: classSpec.repo,
        materials: [materials, `${materials}#ref=main&path=week1`],
        mount: 'class:/home/jovyan/class:ro'
      }
    });
    const textarea = markup
      .split('id="envhub-materials"')[1]
      .split('</textarea')[0];
    expect(textarea.split('>').slice(1).join('>').trim()).toBe(
      `${materials}\n${materials}#ref=main&amp;path=week1`
    );
    expect(markup).toMatch(/<textarea\s+name="mount"/);
    expect(markup).toContain('id="envhub-class-link"');
    expect(markup).toContain('Copy class link');
  });

  it('shares a server with one material on mybinder.org as a Binder + nbgitpuller link', () => {
    const spec = valid({
      repo: 'https://github.com/org/env',
      ref: 'main',
      urlpath: 'lab/tree/materials/week1.ipynb',
      materials: [{ repo: 'https://github.com/org/materials', ref: 'main' }]
    });
    const server = {
      owner: 'teacher',
      name: 'course',
      displayName: 'course',
      repoUrl: spec.repo,
      ref: spec.ref,
      commit: '0'.repeat(40),
      state: 'stopped',
      url: null,
      buildId: null,
      spec,
      launchUrl: `http://hub${PREFIX}${launchPath(spec)}`,
      snippets: { markdown: '', rst: '', html: '' },
      mounts: [],
      mountsPending: false
    } as unknown as ServerView;
    const markup = homePage({ ...data, servers: [server], prefill: {} });
    const href = /href="(https:\/\/mybinder\.org\/[^"]*)"/
      .exec(markup)?.[1]
      .replace(/&amp;/g, '&');
    expect(href).toBeDefined();
    const binder = parseLaunch(new URL(href!).pathname + new URL(href!).search);
    if (!binder.ok) throw new Error(JSON.stringify(binder.errors));
    expect(specDiff(binder.spec, { ...spec, name: undefined })).toEqual([]);
  });
});

describe('the pages, served', () => {
  const logs = captureLogs();
  afterAll(() => logs.restore());
  let app: TestApp;
  beforeEach(async () => {
    app = await testApp();
    seedFixtures(app);
  });
  afterEach(() => app.close());

  it("serve the launch-URL codec to the page's script, with the schema it imports", async () => {
    for (const name of ['launchUrl', 'materials', 'providers', 'mounts']) {
      const module = await app.send(`${PREFIX}static/schema/${name}.js`);
      expectStatus(module, 200);
      expect(module.headers['content-type']).toMatch(/^text\/javascript/);
    }
    const codec = await app.send(`${PREFIX}static/schema/launchUrl.js`);
    // Its relative imports resolve beside it, and the schema one level up.
    expect(codec.text).toContain("from './materials.js'");
    expect(codec.text).toContain("from '../environment.schema.json'");
    const schema = await app.send(`${PREFIX}static/environment.schema.json`);
    expectStatus(schema, 200);
    expect(schema.headers['content-type']).toMatch(/^application\/json/);
    expect(schema.json.properties.materials.maxItems).toBe(10);
  });

  it('confirm a Binder + nbgitpuller link from elsewhere by listing what it pulls', async () => {
    const jar = await signIn(app, 'alice');
    const inner = new URLSearchParams({
      repo: `${app.forge.url}/course/materials.git`,
      urlpath: 'lab/tree/week1/a.ipynb',
      branch: 'main',
      targetPath: 'week1'
    });
    const link = `${PREFIX}v2/git/${encodeURIComponent(`${app.forge.url}/course/env.git`)}/${'a'.repeat(40)}?${new URLSearchParams({ name: 'course', urlpath: `git-pull?${inner}` })}`;
    const page = await app.send(link, {
      headers: { Cookie: jar.header(), Accept: 'text/html' }
    });
    expectStatus(page, 200);
    expect(text(page.text)).toContain(
      `Pulls ${app.forge.url}/course/materials.git (branch main) into ~/week1 at every launch`
    );
  });

  it('refuse a hostile folder in a launch link before anything starts', async () => {
    const jar = await signIn(app, 'alice');
    const before = app.state();
    const link = `${PREFIX}v2/git/${encodeURIComponent(`${app.forge.url}/course/env.git`)}/HEAD?materials=${encodeURIComponent(`${app.forge.url}/m.git#path=.ipython/profile_default/startup`)}`;
    const page = await app.send(link, {
      headers: { Cookie: jar.header(), Accept: 'text/html' }
    });
    expectStatus(page, 400);
    expect(page.text).toContain('materials.0.path');
    expect(app.state()).toEqual(before);
  });
});
