import { Notification } from '@jupyterlab/apputils';
import {
  acceptDialog,
  dismissDialog,
  waitForDialog
} from '@jupyterlab/testing';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { EnvhubModel } from '../model';
import { EnvhubPanel, PANEL_ID } from '../panel';
import { EnvhubSection, SECTIONS } from '../sections';
import {
  CommandIDs,
  IEnvhubBuild,
  IEnvhubServer,
  IHubContext
} from '../tokens';
import {
  BUILD,
  CREDENTIALS_URL,
  PUBLIC_SERVER,
  SERVER,
  credentialsAnswer,
  fakeFetch
} from './fakeService';
import { settle } from './render';

const ALICE_X = '/services/envhub/api/servers/alice/x';

const CONTEXT: IHubContext = {
  user: 'alice',
  serverUser: 'alice',
  serverName: 'x',
  serviceUrl: '/services/envhub/',
  token: 't'
};

type Table = Parameters<typeof fakeFetch>[0];

interface IPanelTest {
  panel: EnvhubPanel;
  model: EnvhubModel;
  executed: string[];
  requests: ReturnType<typeof fakeFetch>['requests'];
  table: Table;
}

const opened: IPanelTest[] = [];

/**
 * The panel, attached to the page, over a model loaded from a fake service answering
 * `server`; every envhub command records its id when run.
 */
async function panelFor(
  server: IEnvhubServer | null,
  context: IHubContext = CONTEXT,
  sections?: EnvhubPanel.IOptions['sections'],
  build: IEnvhubBuild = BUILD
): Promise<IPanelTest> {
  const table: Table = {
    '/services/envhub/api/builds/b1': { status: 200, body: build },
    [CREDENTIALS_URL]: credentialsAnswer()
  };
  if (server) {
    table[ALICE_X] = { status: 200, body: server };
  }
  const { fetch, requests } = fakeFetch(table);
  const model = new EnvhubModel({ context, fetch });
  const commands = new CommandRegistry();
  const executed: string[] = [];
  for (const id of Object.values(CommandIDs)) {
    commands.addCommand(id, {
      label: id,
      caption: `caption of ${id}`,
      isEnabled: () => id !== CommandIDs.buildLog || !!model.state.build,
      execute: () => void executed.push(id)
    });
  }
  const panel = new EnvhubPanel({ model, commands, sections });
  await settle(() => Widget.attach(panel, document.body));
  await settle(() => model.refresh());
  const test = { panel, model, executed, requests, table };
  opened.push(test);
  return test;
}

afterEach(() => {
  React.act(() => {
    for (const { panel, model } of opened.splice(0)) {
      panel.dispose();
      model.dispose();
    }
  });
});

const section = (panel: EnvhubPanel, name: string) =>
  panel.node.querySelector<HTMLElement>(`[data-section="${name}"]`);
const buttons = (root: HTMLElement) => [
  ...root.querySelectorAll<HTMLButtonElement>('button[data-command]')
];
const sectionTitles = (panel: EnvhubPanel) =>
  [...panel.node.querySelectorAll('.jp-AccordionPanel-title')].map(
    title => title.textContent
  );

describe('EnvhubPanel', () => {
  it('is a side panel with a reload button and a section each for the environment, mounts, collaborators, course materials, class and credentials (materials and class shown when there is something to show)', async () => {
    const { panel } = await panelFor(SERVER);
    expect(panel.id).toBe(PANEL_ID);
    expect(panel.hasClass('jp-SidePanel')).toBe(true);
    expect(sectionTitles(panel)).toEqual([
      'Environment',
      'Mounts',
      'Collaborators',
      'Credentials'
    ]);
    expect(
      panel.sections.map(s => s.node.dataset.section).filter(Boolean)
    ).toEqual([
      'environment',
      'mounts',
      'collaborators',
      'materials',
      'class',
      'credentials'
    ]);
    expect(
      panel.toolbar.node.querySelector(`[data-command="${CommandIDs.refresh}"]`)
    ).not.toBeNull();
  });

  it('says why envhub does not apply, without sections, reload button or request', async () => {
    const { panel, requests } = await panelFor(null, {
      ...CONTEXT,
      serverName: ''
    });
    expect(requests).toEqual([]);
    expect(panel.node.querySelector('.jp-envhub-status')?.textContent).toBe(
      'This server was not started by envhub: it is your default server, and envhub only starts named servers.'
    );
    expect(sectionTitles(panel)).toEqual([]);
    expect(panel.toolbar.isHidden).toBe(true);
  });

  it('shows a failure above the last server loaded, and only the failure when none was', async () => {
    const { panel, model, table } = await panelFor(null);
    const alert = () => panel.node.querySelector('[role="alert"]');
    expect(alert()?.textContent).toBe('No route ' + ALICE_X);
    expect(sectionTitles(panel)).toEqual([]);

    table[ALICE_X] = { status: 200, body: SERVER };
    await settle(() => model.refresh());
    expect(alert()).toBeNull();
    expect(sectionTitles(panel)).toHaveLength(4);

    table[ALICE_X] = new TypeError('Failed to fetch');
    await settle(() => model.refresh());
    expect(alert()?.textContent).toContain('Failed to fetch');
    expect(section(panel, 'environment')?.textContent).toContain(SERVER.commit);
  });

  it('shows a section only while it applies, in its place among the others', async () => {
    class PendingSection extends EnvhubSection {
      constructor(options: EnvhubSection.IOptions) {
        super(options, 'pending');
        this.title.label = this.trans.__('Pending');
      }
      appliesTo(state: EnvhubModel['state']): boolean {
        return !!state.server?.mountsPending;
      }
      protected render(): JSX.Element {
        return <p>{this.model.state.server?.name}</p>;
      }
    }
    const { panel, model, table } = await panelFor(SERVER, CONTEXT, [
      SECTIONS[0],
      PendingSection,
      ...SECTIONS.slice(1)
    ]);
    expect(sectionTitles(panel)).toEqual([
      'Environment',
      'Mounts',
      'Collaborators',
      'Credentials'
    ]);

    table[ALICE_X] = { status: 200, body: { ...SERVER, mountsPending: true } };
    await settle(() => model.refresh());
    expect(sectionTitles(panel)).toEqual([
      'Environment',
      'Pending',
      'Mounts',
      'Collaborators',
      'Credentials'
    ]);
    expect(section(panel, 'pending')?.textContent).toBe('x');

    table[ALICE_X] = { status: 200, body: SERVER };
    await settle(() => model.refresh());
    expect(sectionTitles(panel)).toHaveLength(4);
    expect(section(panel, 'pending')).toBeNull();
  });

  it('makes the model active while it is shown', async () => {
    const { panel, model } = await panelFor(SERVER);
    expect(model.isActive).toBe(true);
    await settle(() => panel.hide());
    expect(model.isActive).toBe(false);
    await settle(() => panel.show());
    expect(model.isActive).toBe(true);
    React.act(() => panel.dispose());
    expect(model.isActive).toBe(false);
  });
});

describe('EnvironmentSection', () => {
  it("lists the build's warnings, each once, from the lines that say them", async () => {
    const missing =
      'install.R asks for R packages Debian bookworm does not have: gganimate; they are left out';
    const { panel } = await panelFor(SERVER, CONTEXT, undefined, {
      ...BUILD,
      log: [
        'Step 5/9 : RUN echo "[envhub] warning: not one, only the command"',
        `[envhub] warning: ${missing}`,
        '[envhub] warning: runtime.txt asks for R 4.1; this hub has R 4.2 (Debian bookworm)',
        `[envhub] warning: ${missing}`,
        ''
      ].join('\n')
    });
    const items = section(panel, 'environment')!.querySelectorAll(
      '.jp-envhub-build-warnings li'
    );
    expect([...items].map(item => item.textContent)).toEqual([
      missing,
      'runtime.txt asks for R 4.1; this hub has R 4.2 (Debian bookworm)'
    ]);
  });

  it('shows where the environment comes from, its resources, the time left and the launch link', async () => {
    const { panel } = await panelFor({
      ...SERVER,
      displayName: 'Forked env',
      stopsAt: {
        idle: new Date(Date.now() + 42.5 * 60_000).toISOString(),
        maxAge: null
      }
    });
    const environment = section(panel, 'environment')!;
    const text = (selector: string) =>
      environment.querySelector(selector)?.textContent;
    expect(text('.jp-envhub-server')).toBe('Forked env (x)');
    expect(text('.jp-envhub-repo')).toBe(SERVER.repoUrl);
    expect(text('.jp-envhub-ref')).toBe('main');
    expect(text('.jp-envhub-commit')).toBe(SERVER.commit);
    expect(text('.jp-envhub-image')).toBe(SERVER.image);
    expect(
      environment.querySelector('.jp-envhub-built')?.getAttribute('datetime')
    ).toBe(BUILD.finishedAt);
    // A build without warnings shows none.
    expect(environment.querySelector('.jp-envhub-build-warnings')).toBeNull();
    expect(text('.jp-envhub-resources')).toContain('1G');
    expect(text('.jp-envhub-stops[data-stop="idle"]')).toBe('in 42 min');
    expect(
      environment.querySelector('.jp-envhub-stops[data-stop="maxAge"]')
    ).toBeNull();
    expect(
      environment.querySelector<HTMLInputElement>(
        '.jp-envhub-share-links [data-kind="link"] input'
      )?.value
    ).toBe(SERVER.launchUrl);
    expect(
      environment.querySelector<HTMLInputElement>(
        '.jp-envhub-share-links [data-kind="markdown"] input'
      )?.value
    ).toBe(SERVER.snippets.markdown);
  });

  it("shows the owner this month's usage against the quota, and what happens over it", async () => {
    const usage = {
      server: { cpuHours: 1.5, gbHours: 3, runningHours: 4 },
      owner: { cpuHours: 12, gbHours: 3, storageGb: 0.5 },
      quota: { cpuHours: 10 },
      resetsAt: '2026-12-01T00:00:00.000Z',
      overQuota: [
        'you have used 12.0 of your 10 CPU-hours this month; the quota resets on 2026-12-01 00:00 UTC'
      ],
      stopAt: 'hour' as const,
      usageUrl: 'http://hub.example.org/services/envhub/usage'
    };
    const { panel } = await panelFor({ ...SERVER, usage });
    const environment = section(panel, 'environment')!;
    const text = (selector: string) =>
      environment.querySelector(selector)?.textContent;
    expect(text('[data-usage="server"]')).toBe(
      '1.50 CPU-hours, 3.00 GB-hours, 4.0 hours running'
    );
    expect(text('[data-usage="cpuHours"]')).toBe('12.0 / 10 (120 %)');
    expect(text('[data-usage="gbHours"]')).toBe('3.00');
    expect(
      [...environment.querySelectorAll('.jp-envhub-over-quota li')].map(
        li => li.textContent
      )
    ).toEqual([
      `Over quota: ${usage.overQuota[0]}.`,
      'envhub stops this server at the next full hour (its home is kept).'
    ]);
    expect(
      environment.querySelector<HTMLAnchorElement>('a.jp-envhub-usage')?.href
    ).toBe(usage.usageUrl);

    // Collaborators do not see the owner's usage.
    const { panel: shared } = await panelFor({ ...SERVER, usage: null });
    expect(
      section(shared, 'environment')!.querySelector('.jp-envhub-usage')
    ).toBeNull();
  });

  it('links the ref and commit to the forge on github.com', async () => {
    const repoUrl = 'https://github.com/org/project.git';
    const { panel } = await panelFor({ ...SERVER, repoUrl });
    const environment = section(panel, 'environment')!;
    const href = (selector: string) =>
      environment.querySelector<HTMLAnchorElement>(selector)?.href;
    expect(href('.jp-envhub-repo')).toBe('https://github.com/org/project');
    expect(href('.jp-envhub-ref')).toBe(
      'https://github.com/org/project/tree/main'
    );
    expect(href('.jp-envhub-commit')).toBe(
      `https://github.com/org/project/commit/${SERVER.commit}`
    );
  });

  it('offers share, fork and the build log to all, and relaunch to the owner', async () => {
    const { panel, executed } = await panelFor(SERVER);
    const environment = section(panel, 'environment')!;
    expect(buttons(environment).map(b => b.dataset.command)).toEqual([
      CommandIDs.share,
      CommandIDs.fork,
      CommandIDs.buildLog,
      CommandIDs.relaunch
    ]);
    const buildLog = buttons(environment)[2];
    expect(buildLog.textContent).toBe(CommandIDs.buildLog);
    expect(buildLog.title).toBe(`caption of ${CommandIDs.buildLog}`);
    expect(buildLog.disabled).toBe(false);
    await settle(() => buildLog.click());
    expect(executed).toEqual([CommandIDs.buildLog]);

    const viewer = await panelFor({ ...SERVER, canManage: false });
    expect(
      buttons(section(viewer.panel, 'environment')!).map(b => b.dataset.command)
    ).toEqual([CommandIDs.share, CommandIDs.fork, CommandIDs.buildLog]);
  });
});

describe('MountsSection', () => {
  it('lists each mount as it binds, with what keeps the server from starting', async () => {
    const { panel } = await panelFor({
      ...SERVER,
      mounts: [
        {
          source: 'course',
          target: '/mnt/course',
          readOnly: true,
          webdav: null,
          problem: null
        },
        {
          source: 'gone',
          target: '/mnt/gone',
          readOnly: false,
          webdav: null,
          problem: 'there is no volume "gone" (create it first)'
        }
      ]
    });
    const items = [...section(panel, 'mounts')!.querySelectorAll('li')];
    expect(items.map(item => item.dataset.source)).toEqual(['course', 'gone']);
    expect(items[0].textContent).toBe('/mnt/course ← course (read-only)');
    expect(items[1].querySelector('.jp-envhub-error')?.textContent).toBe(
      'Keeps the server from starting: there is no volume "gone" (create it first)'
    );
  });

  it('says when no volume is mounted', async () => {
    const { panel } = await panelFor(SERVER);
    expect(section(panel, 'mounts')!.textContent).toContain(
      'No volumes are mounted.'
    );
  });

  it('offers the owner the editor, and a restart while changed mounts wait for one', async () => {
    const { panel, executed } = await panelFor({
      ...SERVER,
      mountsPending: true
    });
    const mounts = section(panel, 'mounts')!;
    expect(mounts.querySelector('[data-pending="true"]')?.textContent).toBe(
      'The mounts changed: they are applied when this server restarts.'
    );
    expect(buttons(mounts).map(b => b.dataset.command)).toEqual([
      CommandIDs.mounts,
      CommandIDs.restart
    ]);
    await settle(() => buttons(mounts)[1].click());
    expect(executed).toEqual([CommandIDs.restart]);

    const settled = await panelFor(SERVER);
    const settledMounts = section(settled.panel, 'mounts')!;
    expect(settledMounts.querySelector('[data-pending]')).toBeNull();
    expect(buttons(settledMounts).map(b => b.dataset.command)).toEqual([
      CommandIDs.mounts
    ]);
  });

  it('shows a collaborator the mounts without controls', async () => {
    const { panel } = await panelFor({
      ...SERVER,
      canManage: false,
      mountsPending: true
    });
    const mounts = section(panel, 'mounts')!;
    expect(buttons(mounts)).toEqual([]);
    expect(mounts.textContent).toContain(
      'Only the owner can change the mounts.'
    );
  });
});

describe('CollaboratorsSection', () => {
  const withCollaborators = (users: string[], groups: string[] = []) => ({
    ...SERVER,
    spec: { ...SERVER.spec, collaborators: { users, groups } }
  });
  const puts = (requests: IPanelTest['requests']) =>
    requests
      .filter(r => r.method === 'PUT')
      .map(r => JSON.parse(String(r.init.body)));

  it('lists users and groups; the owner removes one, applied by the service', async () => {
    const test = await panelFor(withCollaborators(['bob'], ['physics']));
    const collaborators = section(test.panel, 'collaborators')!;
    const items = [
      ...collaborators.querySelectorAll<HTMLElement>('.jp-envhub-collaborator')
    ];
    expect(items.map(i => [i.dataset.kind, i.dataset.name])).toEqual([
      ['user', 'bob'],
      ['group', 'physics']
    ]);
    expect(items[1].querySelector('span')?.textContent).toBe('physics (group)');

    test.table[`${ALICE_X}/collaborators`] = {
      status: 200,
      body: withCollaborators([], ['physics'])
    };
    const remove =
      items[0].querySelector<HTMLButtonElement>('.jp-envhub-remove')!;
    expect(remove.getAttribute('aria-label')).toBe(
      'Stop sharing this server with bob'
    );
    await settle(() => remove.click());
    expect(puts(test.requests)).toEqual([{ users: [], groups: ['physics'] }]);
    expect(
      [
        ...collaborators.querySelectorAll<HTMLElement>(
          '.jp-envhub-collaborator'
        )
      ].map(i => i.dataset.name)
    ).toEqual(['physics']);
  });

  it('adds a user from the form and empties it; a refusal is notified and keeps the name', async () => {
    const test = await panelFor(withCollaborators([]));
    const collaborators = section(test.panel, 'collaborators')!;
    expect(collaborators.textContent).toContain('Only you use this server.');
    const form = collaborators.querySelector<HTMLFormElement>(
      '.jp-envhub-add-collaborator'
    )!;
    const input = form.querySelector<HTMLInputElement>('input[name="name"]')!;
    // React tracks the value it set; an input event with a new value is what typing does.
    const type = (value: string) =>
      settle(() => {
        Object.getOwnPropertyDescriptor(
          HTMLInputElement.prototype,
          'value'
        )!.set!.call(input, value);
        input.dispatchEvent(new Event('input', { bubbles: true }));
      });
    const submit = () =>
      settle(() =>
        form.querySelector<HTMLButtonElement>('button[type="submit"]')!.click()
      );

    const errors = jest.spyOn(Notification, 'error');
    test.table[`${ALICE_X}/collaborators`] = {
      status: 400,
      body: {
        status: 400,
        code: 'unknown_collaborators',
        message: 'unknown Hub users: nobody'
      }
    };
    await type('nobody');
    await submit();
    expect(errors).toHaveBeenCalledWith('envhub: unknown Hub users: nobody', {
      autoClose: 8000
    });
    expect(input.value).toBe('nobody');

    test.table[`${ALICE_X}/collaborators`] = {
      status: 200,
      body: withCollaborators(['carol'])
    };
    await type(' carol ');
    await submit();
    expect(puts(test.requests)).toEqual([
      { users: ['nobody'], groups: [] },
      { users: ['carol'], groups: [] }
    ]);
    expect(input.value).toBe('');
    expect(
      collaborators.querySelector('.jp-envhub-collaborator[data-name="carol"]')
    ).not.toBeNull();
    errors.mockRestore();
  });

  it('shows a collaborator the list without controls', async () => {
    const { panel } = await panelFor({
      ...withCollaborators(['bob']),
      canManage: false
    });
    const collaborators = section(panel, 'collaborators')!;
    expect(
      collaborators.querySelector('.jp-envhub-add-collaborator')
    ).toBeNull();
    expect(collaborators.querySelector('.jp-envhub-remove')).toBeNull();
    expect(collaborators.textContent).toContain(
      'Only the owner can change who shares this server.'
    );
  });
});

describe('public access', () => {
  const group = (panel: EnvhubPanel) =>
    section(panel, 'environment')!.querySelector<HTMLElement>(
      '.jp-envhub-public-access'
    );
  const action = (panel: EnvhubPanel) =>
    group(panel)?.querySelector<HTMLButtonElement>('[data-public-action]');
  const copied = (panel: EnvhubPanel, kind: string) =>
    section(panel, 'environment')!.querySelector<HTMLInputElement>(
      `.jp-envhub-share-links [data-kind="${kind}"] input`
    )?.value;
  const puts = (requests: IPanelTest['requests']) =>
    requests
      .filter(r => r.method === 'PUT')
      .map(r => [r.url, JSON.parse(String(r.init.body))]);

  it('shows that a server is public, its visitors now, and its public link and badge in the share menu', async () => {
    const { panel } = await panelFor(PUBLIC_SERVER);
    expect(group(panel)?.dataset.public).toBe('true');
    expect(
      group(panel)?.querySelector('.jp-envhub-public-state')?.textContent
    ).toBe(
      'Public: anyone with its public link, signed in or not, can run a throw-away copy of this server and read its mounted data (read-only).'
    );
    const visitors = group(panel)?.querySelector<HTMLElement>(
      '.jp-envhub-visitors'
    );
    expect(visitors?.textContent).toBe('2 visitors in it now');
    expect(visitors?.dataset.visitors).toBe('2');
    expect(copied(panel, 'public-link')).toBe(PUBLIC_SERVER.public!.url);
    expect(copied(panel, 'public-markdown')).toBe(
      PUBLIC_SERVER.public!.snippets.markdown
    );
    expect(copied(panel, 'public-markdown')).toContain(
      PUBLIC_SERVER.public!.url
    );
    // The launch link stays: it gives people a server of their own.
    expect(copied(panel, 'link')).toBe(SERVER.launchUrl);

    const one = await panelFor({
      ...PUBLIC_SERVER,
      public: { ...PUBLIC_SERVER.public!, visitors: 1 }
    });
    expect(
      group(one.panel)?.querySelector('.jp-envhub-visitors')?.textContent
    ).toBe('1 visitor in it now');
  });

  it('stops public access at once, and shows the server the service sends back', async () => {
    const test = await panelFor(PUBLIC_SERVER);
    test.table[`${ALICE_X}/public`] = { status: 200, body: SERVER };
    expect(action(test.panel)?.textContent).toBe('Stop public access');

    await settle(() => action(test.panel)!.click());

    expect(puts(test.requests)).toEqual([
      [`${ALICE_X}/public`, { public: false }]
    ]);
    expect(group(test.panel)?.dataset.public).toBe('false');
    expect(action(test.panel)?.textContent).toBe('Make public…');
    expect(copied(test.panel, 'public-link')).toBeUndefined();
  });

  it('makes a private server public only once the owner has read what it means and agreed', async () => {
    const test = await panelFor(SERVER);
    test.table[`${ALICE_X}/public`] = { status: 200, body: PUBLIC_SERVER };
    expect(group(test.panel)?.textContent).toContain(
      'Private: only you and your collaborators use it.'
    );

    await settle(async () => {
      action(test.panel)!.click();
      await dismissDialog();
    });
    expect(puts(test.requests)).toEqual([]);

    await settle(async () => {
      action(test.panel)!.click();
      await waitForDialog();
    });
    const said = document.querySelector('.jp-Dialog')?.textContent;
    expect(puts(test.requests)).toEqual([]);
    await settle(() => acceptDialog());
    await settle();
    expect(said).toContain('Make x public?');
    expect(said).toContain(
      'Anyone with the public link, signed in or not, can run the code and read the mounted data. Each visitor gets a throw-away copy of the server, with the mounts read-only for them'
    );
    expect(puts(test.requests)).toEqual([
      [`${ALICE_X}/public`, { public: true }]
    ]);
    expect(group(test.panel)?.dataset.public).toBe('true');
    expect(copied(test.panel, 'public-link')).toBe(PUBLIC_SERVER.public!.url);
  });

  it("notifies the service's refusal and keeps the server as it was", async () => {
    const test = await panelFor(PUBLIC_SERVER);
    test.table[`${ALICE_X}/public`] = {
      status: 403,
      body: { status: 403, code: 'forbidden', message: 'not yours' }
    };
    const errors = jest.spyOn(Notification, 'error');
    await settle(() => action(test.panel)!.click());
    expect(errors).toHaveBeenCalledWith('envhub: not yours', {
      autoClose: 8000
    });
    expect(group(test.panel)?.dataset.public).toBe('true');
    expect(action(test.panel)?.disabled).toBe(false);
    errors.mockRestore();
  });

  it('shows a collaborator that a server is public without the action, and nothing of a private one', async () => {
    const shared = await panelFor({ ...PUBLIC_SERVER, canManage: false });
    expect(group(shared.panel)?.textContent).toContain('2 visitors in it now');
    expect(action(shared.panel)).toBeNull();

    const closed = await panelFor({ ...SERVER, canManage: false });
    expect(group(closed.panel)).toBeNull();
  });

  it("shows only a notice in a visitor's temporary session, and asks the service nothing", async () => {
    const { fetch, requests } = fakeFetch({
      [ALICE_X]: { status: 200, body: PUBLIC_SERVER }
    });
    const model = new EnvhubModel({
      context: { ...CONTEXT, user: 'visitor-1', serverUser: 'visitor-1' },
      fetch,
      publicSession: 'alice/x'
    });
    const panel = new EnvhubPanel({ model, commands: new CommandRegistry() });
    opened.push({ panel, model } as IPanelTest);
    await settle(() => Widget.attach(panel, document.body));
    await settle(() => model.refresh());

    const notice = panel.node.querySelector<HTMLElement>(
      '.jp-envhub-public-session'
    );
    expect(notice?.textContent).toBe(
      'Temporary public session of alice/x: nothing you change is kept; it ends after a while without activity.'
    );
    expect(notice?.dataset.publicSession).toBe('alice/x');
    expect(sectionTitles(panel)).toEqual([]);
    expect(panel.toolbar.isHidden).toBe(true);
    expect(requests).toEqual([]);
  });
});
