import { nullTranslator } from '@jupyterlab/translation';

import { formatDuration, timeLeft } from '../duration';
import { forgeLinks } from '../forge';
import { badgeSnippets, notebookLaunchUrl } from '../shareLink';

const REPO = encodeURIComponent('http://127.0.0.1:9999/demo.git');
const LINK = `https://hub.example.org/services/envhub/v2/git/${REPO}/main`;

describe('notebookLaunchUrl', () => {
  it.each([
    [
      'adds urlpath to a link without one',
      `${LINK}?name=x&memory=1G`,
      'intro.ipynb',
      `${LINK}?name=x&memory=1G&urlpath=lab/tree/intro.ipynb`
    ],
    [
      'adds the query when there is none',
      LINK,
      'intro.ipynb',
      `${LINK}?urlpath=lab/tree/intro.ipynb`
    ],
    [
      'replaces the urlpath already there',
      `${LINK}?name=x&urlpath=lab/tree/old.ipynb&cpus=2`,
      'notebooks/new.ipynb',
      `${LINK}?name=x&cpus=2&urlpath=lab/tree/notebooks/new.ipynb`
    ],
    [
      "replaces Binder's labpath and filepath",
      `${LINK}?labpath=a.ipynb&filepath=b.ipynb&name=x`,
      'c.ipynb',
      `${LINK}?name=x&urlpath=lab/tree/c.ipynb`
    ],
    [
      'encodes each path segment once',
      `${LINK}?name=x`,
      'my notes/a#1?.ipynb',
      `${LINK}?name=x&urlpath=lab/tree/my%2520notes/a%25231%253F.ipynb`
    ]
  ])('%s', (_, link, path, expected) => {
    expect(notebookLaunchUrl(link, path)).toBe(expected);
  });

  it('gives back the notebook path when read as the service reads it', () => {
    const url = new URL(
      notebookLaunchUrl(`${LINK}?name=x`, 'dir with space/ü.ipynb')
    );
    expect(url.searchParams.get('urlpath')).toBe(
      'lab/tree/dir%20with%20space/%C3%BC.ipynb'
    );
    expect(decodeURIComponent(url.searchParams.get('urlpath')!)).toBe(
      'lab/tree/dir with space/ü.ipynb'
    );
    expect(url.searchParams.get('name')).toBe('x');
  });
});

describe('badgeSnippets', () => {
  it('links the badge to the launch link, escaping it in HTML', () => {
    const link = `${LINK}?name=x&urlpath=lab/tree/a.ipynb`;
    const badge = 'https://hub.example.org/services/envhub/badge.svg';
    const snippets = badgeSnippets(link, badge);
    expect(snippets.markdown).toBe(`[![Launch on envhub](${badge})](${link})`);
    expect(snippets.rst).toBe(
      `.. image:: ${badge}\n   :target: ${link}\n   :alt: Launch on envhub`
    );
    expect(snippets.html).toBe(
      `<a href="${link.replace('&', '&amp;')}"><img src="${badge}" alt="Launch on envhub"></a>`
    );
  });
});

describe('forgeLinks', () => {
  it.each([
    [
      'https://github.com/org/repo.git',
      'https://github.com/org/repo',
      'https://github.com/org/repo/tree/feature/x',
      'https://github.com/org/repo/commit/abc'
    ],
    [
      'https://gitlab.com/group/sub/project',
      'https://gitlab.com/group/sub/project',
      'https://gitlab.com/group/sub/project/-/tree/feature/x',
      'https://gitlab.com/group/sub/project/-/commit/abc'
    ]
  ])('%s', (url, repo, tree, commit) => {
    const links = forgeLinks(url);
    expect(links?.repo).toBe(repo);
    expect(links?.tree('feature/x')).toBe(tree);
    expect(links?.commit('abc')).toBe(commit);
  });

  it.each([
    'http://127.0.0.1:9999/demo.git',
    'https://forge.example.org/org/repo.git',
    'https://github.com/org',
    'not a url'
  ])('knows no pages for %s', url => {
    expect(forgeLinks(url)).toBeNull();
  });
});

describe('time left', () => {
  it.each([
    [5, '5 s'],
    [59.6, '1 min'],
    [3600, '1 h'],
    [3600 + 25 * 60, '1 h 25 min'],
    [86400 * 2 + 3600 * 3, '2 d 3 h']
  ])('%d seconds are %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('counts down to a stop time', () => {
    const now = Date.parse('2026-01-02T03:00:00Z');
    const trans = nullTranslator.load('envhub');
    expect(timeLeft('2026-01-02T03:42:10Z', trans, now)).toBe('in 42 min');
    expect(timeLeft('2026-01-02T03:00:30Z', trans, now)).toBe('any moment now');
    expect(timeLeft('2026-01-02T02:00:00Z', trans, now)).toBe('any moment now');
    expect(timeLeft(null, trans, now)).toBe('');
  });
});
