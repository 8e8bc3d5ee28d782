import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { getPublicSession } from '../publicAccess';
import { ShareBody } from '../shareDialog';
import { PUBLIC_SERVER, SERVER, fakeServerSettings } from './fakeService';
import { settle } from './render';

const SESSION = 'http://localhost/user/visitor-1/envhub/api/session';

describe('getPublicSession', () => {
  const ask = async (table: Parameters<typeof fakeServerSettings>[0]) => {
    const { settings, requests } = fakeServerSettings(
      table,
      'http://localhost/user/visitor-1/'
    );
    return { answer: await getPublicSession(settings), requests };
  };

  it('names the public server of a temporary session, as the server extension says', async () => {
    const { answer, requests } = await ask({
      [SESSION]: { status: 200, body: { publicSession: 'alice/x' } }
    });
    expect(answer).toBe('alice/x');
    expect(requests.map(r => [r.method, r.url])).toEqual([['GET', SESSION]]);
  });

  it.each([
    ['any other server', { status: 200, body: { publicSession: null } }],
    [
      'a server without the extension',
      { status: 404, body: { message: 'Not Found' } }
    ],
    ['a server that cannot be reached', new TypeError('Failed to fetch')]
  ])('is null in %s', async (_, canned) => {
    expect((await ask({ [SESSION]: canned })).answer).toBeNull();
  });
});

describe('the share dialog', () => {
  const body = (server: typeof SERVER) =>
    new ShareBody({
      intro: 'intro',
      link: server.launchUrl,
      snippets: server.snippets,
      badgeUrl: server.badgeUrl,
      publicAccess: server.public,
      trans: nullTranslator.load('envhub')
    });
  const shown: Widget[] = [];
  afterEach(() => {
    React.act(() => shown.splice(0).forEach(widget => widget.dispose()));
  });
  const copied = (widget: Widget, kind: string) =>
    widget.node.querySelector<HTMLInputElement>(`[data-kind="${kind}"] input`)
      ?.value;

  it("gives a public server's public link and badge besides its launch link", async () => {
    const widget = body(PUBLIC_SERVER);
    shown.push(widget);
    await settle(() => Widget.attach(widget, document.body));
    expect(copied(widget, 'link')).toBe(SERVER.launchUrl);
    expect(copied(widget, 'public-link')).toBe(PUBLIC_SERVER.public!.url);
    expect(copied(widget, 'public-html')).toBe(
      PUBLIC_SERVER.public!.snippets.html
    );
    expect(
      widget.node.querySelector('.jp-envhub-share-public')?.textContent
    ).toContain(
      'anyone with its public link, signed in or not, can run a throw-away copy of it'
    );
  });

  it('gives a private server its launch link only', async () => {
    const widget = body(SERVER);
    shown.push(widget);
    await settle(() => Widget.attach(widget, document.body));
    expect(copied(widget, 'link')).toBe(SERVER.launchUrl);
    expect(widget.node.querySelector('.jp-envhub-share-public')).toBeNull();
  });
});
