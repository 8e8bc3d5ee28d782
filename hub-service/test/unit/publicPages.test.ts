import { describe, expect, it } from '@jest/globals';
import {
  badgeSnippets,
  launchPath,
  validateSpec,
  type EnvironmentSpec,
  type ServerView,
  type ValidEnvironmentSpec,
  type SessionView
} from '@envhub/schema';
import {
  CREDENTIALS_MEAN,
  homePage,
  PUBLIC_ACCESS_MEANS
} from '../../src/pages/homePage.js';
import { confirmPage } from '../../src/pages/launchPages.js';
import { DEFAULT_SITE_CONFIG } from '../../src/policy/siteConfig.js';
import { PREFIX } from '../support/fakes.js';

function valid(spec: EnvironmentSpec): ValidEnvironmentSpec & { name: string } {
  const result = validateSpec(spec);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return { ...result.spec, name: result.spec.name ?? 'course' };
}

/** The text of an HTML fragment, tags removed and white space collapsed. */
const text = (markup: string) =>
  markup
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

const capabilities = (spec: ValidEnvironmentSpec & { name: string }) =>
  [
    ...(confirmPage({
      prefix: PREFIX,
      xsrf: 'x',
      spec,
      launch: launchPath(spec),
      editUrl: PREFIX,
      resources: DEFAULT_SITE_CONFIG.resources.defaults
    })
      .split('id="envhub-capabilities"')[1]
      .split('</ul>')[0]
      .matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g) ?? [])
  ].map(match => text(match[1]));

describe('the confirmation page of a public launch', () => {
  const spec = valid({
    repo: 'https://forge.example.org/course/env.git',
    ref: 'main',
    name: 'course',
    public: true,
    mounts: [{ source: 'data', target: '/mnt/data', readOnly: false }]
  });

  it('says that anyone with the public link, signed in or not, can run a throw-away copy and read the mounted data', () => {
    expect(capabilities(spec)).toContain(
      'Makes the server public: anyone with its public link, signed in or not, can run a throw-away copy of it and read its mounted data (read-only). Nothing a visitor does is kept or reaches your home or volumes.'
    );
  });

  it('says nothing of public access for a private launch', () => {
    expect(capabilities({ ...spec, public: false }).join(' ')).not.toMatch(
      /public/i
    );
  });
});

describe('the confirmation page of a launch with credentials', () => {
  const spec = valid({
    repo: 'https://forge.example.org/course/env.git',
    ref: 'main',
    name: 'course',
    credentials: true
  });
  const warning =
    'Passes your credentials into the server: with credentials, the code can take any action on behalf of the user in any service that uses the same authentication.';

  it('says, in bold, that the code can act on behalf of the user', () => {
    expect(capabilities(spec)).toContain(warning);
    const page = confirmPage({
      prefix: PREFIX,
      xsrf: 'x',
      spec,
      launch: launchPath(spec),
      editUrl: PREFIX,
      resources: DEFAULT_SITE_CONFIG.resources.defaults
    });
    const bold = [
      ...page.matchAll(/<strong[^>]*>([\s\S]*?)<\/strong\s*>/g)
    ].map(match => text(match[1]));
    expect(bold).toContain(warning);
  });

  it('says nothing of credentials for a launch without them', () => {
    expect(capabilities({ ...spec, credentials: false }).join(' ')).not.toMatch(
      /credentials/i
    );
  });

  const variables =
    'They are also set as environment variables (ENVHUB_CREDENTIAL_<HOST>_USERNAME and ENVHUB_CREDENTIAL_<HOST>_TOKEN): every process in the server can read them, and they are not refreshed — a token you replace or remove stays in them until the server restarts.';

  it('says, in bold, for credentials=env, the same and that the variables are visible to every process and not refreshed', () => {
    const env = { ...spec, credentials: 'env' as const };
    expect(capabilities(env)).toContain(`${warning} ${variables}`);
    const page = confirmPage({
      prefix: PREFIX,
      xsrf: 'x',
      spec: env,
      launch: launchPath(env),
      editUrl: PREFIX,
      resources: DEFAULT_SITE_CONFIG.resources.defaults
    });
    const bold = [
      ...page.matchAll(/<strong[^>]*>([\s\S]*?)<\/strong\s*>/g)
    ].map(match => text(match[1]));
    expect(bold).toEqual(expect.arrayContaining([warning, variables]));
    expect(launchPath(env)).toMatch(/\?name=course&credentials=env$/);
  });

  it('says nothing of environment variables for credentials=true', () => {
    expect(capabilities(spec).join(' ')).not.toContain('environment variable');
  });
});

describe('the home page', () => {
  const spec = valid({
    repo: 'https://forge.example.org/course/env.git',
    ref: 'main',
    name: 'course'
  });
  const launchUrl = `http://hub${PREFIX}${launchPath(spec)}`;
  const badgeUrl = `http://hub${PREFIX}badge.svg`;
  const publicUrl = `http://hub${PREFIX}public/teacher/course`;
  const server = {
    owner: 'teacher',
    name: 'course',
    displayName: 'course',
    repoUrl: spec.repo,
    ref: spec.ref,
    commit: '0'.repeat(40),
    state: 'running',
    url: '/user/teacher/course/',
    buildId: null,
    spec,
    launchUrl,
    badgeUrl,
    snippets: badgeSnippets(launchUrl, badgeUrl),
    canManage: true,
    mounts: [],
    mountsPending: false,
    public: null
  } as unknown as ServerView;
  const publicServer: ServerView = {
    ...server,
    spec: { ...spec, public: true },
    public: {
      url: publicUrl,
      snippets: badgeSnippets(publicUrl, badgeUrl),
      visitors: 3
    }
  };
  const page = (servers: ServerView[], sessions: SessionView[] = []) =>
    homePage({
      prefix: PREFIX,
      xsrf: 'x',
      user: 'teacher',
      site: DEFAULT_SITE_CONFIG,
      servers,
      volumes: [],
      classes: [],
      sessions,
      credentials: [],
      singleSignOnHosts: [],
      hideLaunches: false,
      prefill: {}
    });
  const row = (markup: string, name: string) =>
    markup.split(`data-server="${name}"`)[1].split('</tr>')[0];

  it('lets the public field be set, and says under it what public means', () => {
    const markup = page([]);
    const field = markup.split('name="public"')[1].split('</label')[0];
    expect(field).not.toContain('disabled');
    expect(text(`<x ${field}`)).toContain(PUBLIC_ACCESS_MEANS);
    expect(PUBLIC_ACCESS_MEANS).toMatch(
      /^Anyone with the public link, signed in or not, can run the code and read the mounted data\. Each visitor gets a throw-away copy of the server, with the mounts read-only/
    );
  });

  it('has no "not supported yet" notice, and warns under the credentials field what passing them means', () => {
    const markup = page([]);
    expect(text(markup)).not.toMatch(/not supported/i);
    const notes = markup
      .split('id="envhub-security-notes"')[1]
      .split('</ul>')[0];
    const whens = [...notes.matchAll(/data-when="([^"]*)"/g)].flatMap(m =>
      m[1].split(' ')
    );
    expect(whens).not.toContain('credentials');
    expect(whens).not.toContain('public');

    const field = markup.split('name="credentials"')[1].split('</label')[0];
    expect(field).not.toContain('disabled');
    expect(text(`<x ${field}`)).toContain(CREDENTIALS_MEAN);
    expect(CREDENTIALS_MEAN).toBe(
      'With credentials, the code can take any action on behalf of the user in any service that uses the same authentication. Your stored credentials (see Your credentials on envhub\'s page) are passed into the server as /run/envhub/credentials.json, for git and your code, and with "As a file and environment variables" also as ENVHUB_CREDENTIAL_<HOST>_USERNAME and ENVHUB_CREDENTIAL_<HOST>_TOKEN, which every process in the server can read and which are not refreshed; off by default.'
    );
  });

  it('offers credentials as a choice of no, a file, or a file and environment variables, prefilled from a link', () => {
    const options = (prefill: Record<string, string>) =>
      [
        ...homePage({
          prefix: PREFIX,
          xsrf: 'x',
          user: 'teacher',
          site: DEFAULT_SITE_CONFIG,
          servers: [],
          volumes: [],
          classes: [],
          sessions: [],
          credentials: [],
          singleSignOnHosts: [],
          hideLaunches: false,
          prefill
        })
          .split('<select name="credentials"')[1]
          .split('</select>')[0]
          .matchAll(/<option\s+value="([^"]*)"\s*(selected)?\s*>([^<]*)</g)
      ].map(([, value, selected, title]) => [value, text(title), !!selected]);
    // The default is sent as nothing, so that a link made from the form leaves it out.
    expect(options({})).toEqual([
      ['', 'No', true],
      ['1', 'As a file', false],
      ['env', 'As a file and environment variables', false]
    ]);
    for (const [given, chosen] of [
      ['1', '1'],
      ['true', '1'],
      ['env', 'env'],
      ['0', ''],
      ['nonsense', '']
    ])
      expect(
        options({ credentials: given })
          .filter(([, , selected]) => selected)
          .map(([value]) => value)
      ).toEqual([chosen]);
  });

  it('marks a public server with its visitors now and its public link, and shares its public badge', () => {
    const markup = row(page([publicServer]), 'course');
    const mark = markup.split('class="envhub-public"')[1].split('</span')[0];
    expect(text(`<x ${mark}`)).toBe('Public · 3 visitors now · public link');
    expect(mark).toContain(`href="${publicUrl}"`);
    expect(markup).toContain(`value="${publicUrl}"`);
    expect(markup).toContain(
      publicServer.public!.snippets.rst.replace(/"/g, '&quot;')
    );
    expect(markup).toContain('data-public-action="stop"');
    expect(markup).not.toContain('data-public-action="make"');
  });

  it('says "1 visitor"', () => {
    const markup = row(
      page([
        { ...publicServer, public: { ...publicServer.public!, visitors: 1 } }
      ]),
      'course'
    );
    expect(text(markup)).toContain('Public · 1 visitor now');
  });

  it('marks nothing on a private server, and asks before making it public', () => {
    const markup = row(page([server]), 'course');
    expect(markup).not.toContain('envhub-public');
    expect(markup).not.toContain(publicUrl);
    const make = markup.split('data-public-action="make"')[1].split('>')[0];
    expect(make.replace(/&#39;/g, "'")).toContain(
      `data-confirm="Make course public? ${PUBLIC_ACCESS_MEANS}"`
    );
    expect(
      row(page([{ ...server, canManage: false } as ServerView]), 'course')
    ).not.toContain('data-public-action');
  });

  it("lists visitors' sessions with an end button, their addresses only for admins", () => {
    const session: SessionView = {
      user: 'envhub-visitor-0a1b2c3d4e',
      owner: 'teacher',
      server: 'course',
      image: 'img',
      createdAt: '2026-01-01T00:00:00.000Z',
      claimedAt: '2026-01-01T00:01:00.000Z'
    };
    expect(page([publicServer])).not.toContain('envhub-sessions');
    const owner = page([publicServer], [session]);
    expect(owner).toContain('data-end-session="envhub-visitor-0a1b2c3d4e"');
    expect(text(owner)).toContain('teacher/course');
    expect(owner).not.toContain('Address');
    const admin = page([], [{ ...session, client: '198.51.100.4' }]);
    expect(text(admin)).toContain('198.51.100.4');
  });
});
