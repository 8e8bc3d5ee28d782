import { Notification } from '@jupyterlab/apputils';
import {
  acceptDialog,
  dismissDialog,
  waitForDialog
} from '@jupyterlab/testing';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { EnvhubModel } from '../model';
import { EnvhubPanel } from '../panel';
import { CredentialsSection } from '../sections/CredentialsSection';
import { IHubContext } from '../tokens';
import {
  CREDENTIALS,
  CREDENTIALS_URL,
  PUBLIC_SERVER,
  SERVER,
  credentialsAnswer,
  fakeFetch
} from './fakeService';
import { settle } from './render';

const ALICE_X = '/services/envhub/api/servers/alice/x';
const CLOUD = 'cloud.example.org:8443';
const CLOUD_URL = `${CREDENTIALS_URL}/cloud.example.org%3A8443`;
const FORGE_URL = `${CREDENTIALS_URL}/forge.example.org`;

const CONTEXT: IHubContext = {
  user: 'alice',
  serverUser: 'alice',
  serverName: 'x',
  serviceUrl: '/services/envhub/',
  token: 't'
};

type Table = Parameters<typeof fakeFetch>[0];

const opened: { panel: EnvhubPanel; model: EnvhubModel }[] = [];

/**
 * The panel, attached to the page, over a model loaded from a fake service that answers
 * `table` on top of alice's server without a build and `CREDENTIALS`.
 */
async function panelFor(
  table: Table = {},
  context: IHubContext = CONTEXT,
  publicSession: string | null = null
) {
  const all: Table = {
    [ALICE_X]: { status: 200, body: { ...SERVER, buildId: null } },
    [CREDENTIALS_URL]: credentialsAnswer(),
    ...table
  };
  const { fetch, requests } = fakeFetch(all);
  const model = new EnvhubModel({ context, fetch, publicSession });
  const panel = new EnvhubPanel({ model, commands: new CommandRegistry() });
  opened.push({ panel, model });
  await settle(() => Widget.attach(panel, document.body));
  await settle(() => model.refresh());

  const section = () =>
    panel.node.querySelector<HTMLElement>('[data-section="credentials"]');
  const item = (host: string) =>
    section()!.querySelector<HTMLElement>(
      `.jp-envhub-credential[data-host="${host}"]`
    );
  const hosts = () =>
    [...section()!.querySelectorAll<HTMLElement>('.jp-envhub-credential')].map(
      i => i.dataset.host
    );
  const field = (name: string) =>
    section()!.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
  // React tracks the value it set; an input event with a new value is what typing does.
  const type = (name: string, value: string) =>
    settle(() => {
      const input = field(name);
      Object.getOwnPropertyDescriptor(
        HTMLInputElement.prototype,
        'value'
      )!.set!.call(input, value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  const submit = () =>
    settle(() =>
      section()!
        .querySelector<HTMLButtonElement>(
          '.jp-envhub-credential-form button[type="submit"]'
        )!
        .click()
    );
  const sent = () =>
    requests
      .filter(r => r.method !== 'GET')
      .map(r => [
        r.method,
        r.url,
        r.init.body === undefined ? undefined : JSON.parse(String(r.init.body))
      ]);
  return {
    panel,
    model,
    requests,
    table: all,
    section,
    item,
    hosts,
    field,
    type,
    submit,
    sent
  };
}

afterEach(() => {
  React.act(() => {
    for (const { panel, model } of opened.splice(0)) {
      panel.dispose();
      model.dispose();
    }
  });
  jest.restoreAllMocks();
});

describe('CredentialsSection', () => {
  it('lists each credential: host, user name and when envhub last used it, or never', async () => {
    const { section, item, hosts, requests } = await panelFor();
    expect(section()).not.toBeNull();
    expect(hosts()).toEqual(['forge.example.org', CLOUD]);

    const forge = item('forge.example.org')!;
    expect(forge.querySelector('.jp-envhub-credential-host')?.textContent).toBe(
      'forge.example.org'
    );
    expect(forge.querySelector('.jp-envhub-credential-user')?.textContent).toBe(
      'alice'
    );
    const used = forge.querySelector('time.jp-envhub-credential-used');
    expect(used?.getAttribute('datetime')).toBe(CREDENTIALS[0].lastUsedAt);
    expect(used?.textContent).toBe(
      `Last used: ${new Date(CREDENTIALS[0].lastUsedAt!).toLocaleString()}`
    );

    const cloud = item(CLOUD)!;
    expect(cloud.querySelector('.jp-envhub-credential-user')?.textContent).toBe(
      'alice@example.org'
    );
    expect(cloud.querySelector('.jp-envhub-credential-used')?.textContent).toBe(
      'Last used: never'
    );
    // Listed with the page token, like everything the panel asks.
    expect(
      requests
        .filter(r => r.url === CREDENTIALS_URL)
        .map(r => r.headers.get('Authorization'))
    ).toEqual(['token t']);
  });

  it('says when there is none yet, and why the credentials could not be loaded', async () => {
    const none = await panelFor({ [CREDENTIALS_URL]: credentialsAnswer([]) });
    expect(none.section()!.textContent).toContain('No credentials yet.');

    const failing = await panelFor({
      [CREDENTIALS_URL]: {
        status: 503,
        body: {
          status: 503,
          code: 'credentials_unavailable',
          message: 'Credentials are not set up on this hub: ask its admin.'
        }
      }
    });
    expect(
      failing.section()!.querySelector('[role="alert"]')?.textContent
    ).toBe('Credentials are not set up on this hub: ask its admin.');
    // The rest of the panel shows regardless.
    expect(
      failing.panel.node.querySelector('[data-section="environment"]')
    ).not.toBeNull();
  });

  it('stores a credential from the form with one PUT, empties the token field, and lists the credentials again', async () => {
    const test = await panelFor({
      [CLOUD_URL]: {
        status: 200,
        body: {
          host: CLOUD,
          username: 'alice',
          createdAt: '2026-01-03T09:00:00.000Z',
          lastUsedAt: null
        }
      }
    });
    expect(test.field('token').type).toBe('password');
    await test.type('host', ` ${CLOUD} `);
    await test.type('username', 'alice');
    await test.type('token', 'app-password-1');
    test.table[CREDENTIALS_URL] = credentialsAnswer([
      CREDENTIALS[0],
      { ...CREDENTIALS[1], username: 'alice' }
    ]);

    await test.submit();

    expect(test.sent()).toEqual([
      ['PUT', CLOUD_URL, { username: 'alice', token: 'app-password-1' }]
    ]);
    const put = test.requests.find(r => r.method === 'PUT')!;
    expect(put.headers.get('Content-Type')).toBe('application/json');
    // Listed again after the PUT.
    expect(test.requests.slice(-2).map(r => [r.method, r.url])).toEqual([
      ['PUT', CLOUD_URL],
      ['GET', CREDENTIALS_URL]
    ]);
    expect(
      test.item(CLOUD)!.querySelector('.jp-envhub-credential-user')?.textContent
    ).toBe('alice');
    expect(test.field('token').value).toBe('');
    expect(test.field('host').value).toBe('');
    expect(test.field('username').value).toBe('');
    expect(JSON.stringify(test.model.state)).not.toContain('app-password-1');
  });

  it("notifies the service's refusal, keeps the host and user name, and still empties the token field", async () => {
    const message =
      '"https://forge.example.org/group" is not a host; give its name, e.g. forge.example.org';
    const test = await panelFor({
      [`${CREDENTIALS_URL}/https%3A%2F%2Fforge.example.org%2Fgroup`]: {
        status: 400,
        body: { status: 400, code: 'invalid_host', message }
      }
    });
    const errors = jest.spyOn(Notification, 'error');
    await test.type('host', 'https://forge.example.org/group');
    await test.type('username', 'alice');
    await test.type('token', 'app-password-1');

    await test.submit();

    expect(errors).toHaveBeenCalledWith(`envhub: ${message}`, {
      autoClose: 8000
    });
    expect(test.field('token').value).toBe('');
    expect(test.field('host').value).toBe('https://forge.example.org/group');
    expect(test.field('username').value).toBe('alice');
    expect(test.hosts()).toEqual(['forge.example.org', CLOUD]);
    expect(
      test.requests.filter(r => r.method === 'GET').map(r => r.url)
    ).toEqual([ALICE_X, CREDENTIALS_URL]);
  });

  it('removes a credential only once the user confirms, then lists the credentials again', async () => {
    const test = await panelFor({
      [FORGE_URL]: () => new Response(null, { status: 204 })
    });
    const remove = () =>
      test
        .item('forge.example.org')!
        .querySelector<HTMLButtonElement>('.jp-envhub-remove')!;
    expect(remove().getAttribute('aria-label')).toBe(
      'Remove your credential for forge.example.org'
    );

    await settle(async () => {
      remove().click();
      await dismissDialog();
    });
    expect(test.sent()).toEqual([]);

    await settle(async () => {
      remove().click();
      await waitForDialog();
    });
    const said = document.querySelector('.jp-Dialog')?.textContent;
    expect(said).toContain('Remove your credential for forge.example.org?');
    expect(test.sent()).toEqual([]);
    test.table[CREDENTIALS_URL] = credentialsAnswer(CREDENTIALS.slice(1));
    await settle(() => acceptDialog());
    await settle();

    expect(test.sent()).toEqual([['DELETE', FORGE_URL, undefined]]);
    expect(test.hosts()).toEqual([CLOUD]);
  });

  it('notifies a refused removal and keeps the credential', async () => {
    const test = await panelFor({
      [FORGE_URL]: {
        status: 404,
        body: {
          status: 404,
          code: 'no_credential',
          message: 'You have no credential for forge.example.org.'
        }
      }
    });
    const errors = jest.spyOn(Notification, 'error');
    await settle(async () => {
      test
        .item('forge.example.org')!
        .querySelector<HTMLButtonElement>('.jp-envhub-remove')!
        .click();
      await waitForDialog();
    });
    await settle(() => acceptDialog());
    await settle();

    expect(errors).toHaveBeenCalledWith(
      'envhub: You have no credential for forge.example.org.',
      { autoClose: 8000 }
    );
    expect(test.hosts()).toEqual(['forge.example.org', CLOUD]);
  });

  it("offers no form in someone else's server, whose code could read what is typed", async () => {
    const { section, hosts } = await panelFor(
      {},
      { ...CONTEXT, user: 'bob', serverUser: 'alice' }
    );
    expect(hosts()).toEqual(['forge.example.org', CLOUD]);
    expect(section()!.querySelector('form')).toBeNull();
    expect(section()!.querySelector('input[name="token"]')).toBeNull();
    expect(section()!.textContent).toContain(
      "To add a credential, use your own server or envhub's page: this server is alice's, and its code could read what you type here."
    );
    expect(
      section()!.querySelector<HTMLAnchorElement>('a')?.getAttribute('href')
    ).toBe('/services/envhub/');
  });

  it("is not in a visitor's temporary session, which asks the service nothing", async () => {
    const { panel, section, requests } = await panelFor(
      { [ALICE_X]: { status: 200, body: PUBLIC_SERVER } },
      { ...CONTEXT, user: 'visitor-1', serverUser: 'visitor-1' },
      'alice/x'
    );
    expect(section()).toBeNull();
    expect(
      panel.node.querySelector('.jp-envhub-public-session')
    ).not.toBeNull();
    expect(requests).toEqual([]);

    // Nor would it be, were a server ever known there.
    const { model } = opened[opened.length - 1];
    const credentials = new CredentialsSection({
      model,
      commands: new CommandRegistry(),
      trans: nullTranslator.load('envhub')
    });
    expect(
      credentials.appliesTo({
        ...model.state,
        server: PUBLIC_SERVER,
        credentials: CREDENTIALS
      })
    ).toBe(false);
    credentials.dispose();
  });
});
