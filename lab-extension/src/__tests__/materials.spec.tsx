import { Notification } from '@jupyterlab/apputils';
import { acceptDialog, waitForDialog } from '@jupyterlab/testing';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { MaterialsModel } from '../materialsModel';
import { EnvhubModel } from '../model';
import { EnvhubPanel } from '../panel';
import { IEnvhubServer, IMaterialsEntry } from '../tokens';
import {
  SERVER,
  fakeFetch,
  fakeServerSettings,
  streamResponse
} from './fakeService';
import { settle } from './render';

const BASE = 'http://localhost/user/alice/x/envhub/api/materials';
const MATERIALS_REPO = 'http://127.0.0.1:9999/course.git';

const WITH_MATERIALS: IEnvhubServer = {
  ...SERVER,
  spec: {
    ...SERVER.spec,
    materials: [{ repo: MATERIALS_REPO, path: 'course' }]
  }
};

/** An entry as the server extension reports it, with `changes` on top. */
function entry(changes: Partial<IMaterialsEntry> = {}): IMaterialsEntry {
  return {
    index: 0,
    repo: MATERIALS_REPO,
    ref: null,
    branch: 'main',
    path: 'course',
    state: 'up to date',
    upstreamCommit: 'a'.repeat(40),
    localCommit: 'a'.repeat(40),
    behind: 0,
    changed: [],
    conflicts: [],
    renamed: [],
    backups: [],
    lastPull: null,
    offline: false,
    message: null,
    ...changes
  };
}

type Table = Parameters<typeof fakeFetch>[0];

const listing = (...entries: IMaterialsEntry[]) => ({
  status: 200,
  body: { materials: entries }
});

const opened: {
  panel: EnvhubPanel;
  model: EnvhubModel;
  materials: MaterialsModel;
}[] = [];

/**
 * The panel over a server answering `server` from the envhub service and `table` from its
 * own materials API; `docmanager:open` records the paths it is asked to open.
 */
async function panelFor(server: IEnvhubServer, table: Table) {
  const service = fakeFetch({
    '/services/envhub/api/servers/alice/x': { status: 200, body: server }
  });
  const model = new EnvhubModel({
    context: {
      user: 'bob',
      serverUser: 'alice',
      serverName: 'x',
      serviceUrl: '/services/envhub/',
      token: 't'
    },
    fetch: service.fetch
  });
  const { settings, requests } = fakeServerSettings(table);
  const materials = new MaterialsModel({ serverSettings: settings });
  const commands = new CommandRegistry();
  const openedPaths: string[] = [];
  commands.addCommand('docmanager:open', {
    execute: args => void openedPaths.push(String(args.path))
  });
  const panel = new EnvhubPanel({ model, commands, materials });
  await settle(() => Widget.attach(panel, document.body));
  await settle(() => model.refresh());
  await settle(() => materials.refresh());
  opened.push({ panel, model, materials });
  const section = () =>
    panel.node.querySelector<HTMLElement>('[data-section="materials"]');
  const button = (action: string, file?: string) =>
    section()!.querySelector<HTMLButtonElement>(
      `${file ? `[data-file="${file}"] ` : ''}button[data-action="${action}"]`
    );
  return { panel, materials, requests, openedPaths, section, button };
}

afterEach(() => {
  React.act(() => {
    for (const { panel, model, materials } of opened.splice(0)) {
      panel.dispose();
      model.dispose();
      materials.dispose();
    }
  });
  jest.restoreAllMocks();
});

describe('MaterialsSection', () => {
  it('is shown when the spec has materials, or the server reports some, and not otherwise', async () => {
    const withSpec = await panelFor(WITH_MATERIALS, { [BASE]: listing() });
    expect(withSpec.section()).not.toBeNull();
    expect(withSpec.section()!.textContent).toContain(
      'No course materials here yet'
    );

    const without = await panelFor(SERVER, { [BASE]: listing() });
    expect(without.section()).toBeNull();

    const reported = await panelFor(SERVER, { [BASE]: listing(entry()) });
    expect(reported.section()).not.toBeNull();
  });

  it('says where each source stands', async () => {
    const { section } = await panelFor(WITH_MATERIALS, {
      [BASE]: listing(
        entry(),
        entry({ index: 1, path: 'b', state: 'behind', behind: 3 }),
        entry({ index: 2, path: 'c', state: 'changed', changed: ['x.ipynb'] }),
        entry({
          index: 3,
          path: 'd',
          state: 'behind',
          behind: 1,
          conflicts: ['y.ipynb']
        }),
        entry({
          index: 4,
          path: 'e',
          state: 'diverged',
          message: 'History rewritten'
        }),
        entry({ index: 5, path: 'f', state: 'error', message: 'Not a clone' })
      )
    });
    const states = [
      ...section()!.querySelectorAll('.jp-envhub-material-state')
    ].map(node => node.textContent);
    expect(states).toEqual([
      'Up to date',
      '3 updates',
      '1 changed file',
      '1 update, 1 conflict',
      'Histories diverged',
      'Error'
    ]);
    expect(section()!.textContent).toContain('History rewritten');
    expect(section()!.textContent).toContain('Not a clone');
  });

  it('pulls with live output, then asks again', async () => {
    const table: Table = {
      [BASE]: listing(entry({ state: 'behind', behind: 2 }))
    };
    const { section, button, requests, materials } = await panelFor(
      WITH_MATERIALS,
      table
    );
    table[`${BASE}/0/pull`] = () =>
      streamResponse([
        'data: {"phase":"syncing","index":0,"output":"Fetching upstream"}\n\n',
        'data: {"phase":"syncing","index":0,"output":"Merging 2 commits"}\n\ndata: {"phase":"fini',
        'shed","index":0,"message":"up to date"}\n\n'
      ]);
    const lines: string[][] = [];
    materials.changed.connect((_, state) => lines.push(state.logs[0] ?? []));
    table[BASE] = listing(entry());
    await settle(() => button('pull')!.click());
    await settle();

    expect(lines).toContainEqual(['Fetching upstream']);
    const pull = requests.find(r => r.url === `${BASE}/0/pull`);
    expect(pull?.method).toBe('POST');
    expect(pull?.headers.get('Authorization')).toBe('token page-token');
    expect(section()!.querySelector('.jp-envhub-pull-log')?.textContent).toBe(
      'Fetching upstream\nMerging 2 commits\nup to date'
    );
    expect(requests.filter(r => r.url === BASE).length).toBeGreaterThanOrEqual(
      2
    );
    expect(
      section()!.querySelector('.jp-envhub-material-state')?.textContent
    ).toBe('Up to date');
  });

  it('lists a conflict, opens it, and restores the upstream version after a confirmation', async () => {
    const table: Table = {
      [BASE]: listing(
        entry({
          state: 'changed',
          changed: ['week1.ipynb', 'notes.md'],
          conflicts: ['week1.ipynb'],
          renamed: [{ from: 'week2.ipynb', to: 'week2__20260102.ipynb' }]
        })
      ),
      [`${BASE}/0/restore`]: {
        status: 200,
        body: { restored: 'week1.ipynb', keptAs: 'week1__20260103.ipynb' }
      }
    };
    const { section, button, requests, openedPaths } = await panelFor(
      WITH_MATERIALS,
      table
    );
    const files = [
      ...section()!.querySelectorAll<HTMLElement>('.jp-envhub-material-file')
    ];
    expect(files.map(f => [f.dataset.file, f.dataset.kind])).toEqual([
      ['week1.ipynb', 'conflict'],
      ['notes.md', 'changed'],
      ['week2__20260102.ipynb', 'renamed']
    ]);
    expect(button('restore', 'week1.ipynb')).not.toBeNull();
    expect(button('restore', 'week2__20260102.ipynb')).toBeNull();

    await settle(() => button('open', 'week1.ipynb')!.click());
    expect(openedPaths).toEqual(['course/week1.ipynb']);

    const success = jest.spyOn(Notification, 'success');
    table[BASE] = listing(entry({ state: 'changed', changed: ['notes.md'] }));
    const before = requests.filter(r => r.url === BASE).length;
    await settle(async () => {
      button('restore', 'week1.ipynb')!.click();
      await acceptDialog();
    });
    await settle();
    const restore = requests.find(r => r.url === `${BASE}/0/restore`);
    expect(restore?.method).toBe('POST');
    expect(JSON.parse(String(restore?.init.body))).toEqual({
      file: 'week1.ipynb'
    });
    expect(success).toHaveBeenCalledWith(
      expect.stringContaining('week1__20260103.ipynb'),
      expect.anything()
    );
    expect(requests.filter(r => r.url === BASE).length).toBe(before + 1);
    expect(section()!.querySelector('[data-file="week1.ipynb"]')).toBeNull();
  });

  it('shows the upstream diff of a changed or conflicting file in a dialog', async () => {
    const diff = [
      'diff --git a/week1.ipynb b/week1.ipynb',
      '--- a/week1.ipynb',
      '+++ b/week1.ipynb',
      '@@ -1,3 +1,3 @@',
      ' {',
      '-    "x = 2"',
      '+    "x = 42  # my answer"',
      ''
    ].join('\n');
    const table: Table = {
      [BASE]: listing(
        entry({
          state: 'changed',
          changed: ['week1.ipynb', 'my notes.md'],
          conflicts: ['week1.ipynb'],
          renamed: [{ from: 'week2.ipynb', to: 'week2__20260102.ipynb' }]
        })
      ),
      [`${BASE}/0/diff?file=week1.ipynb`]: {
        status: 200,
        body: { file: 'week1.ipynb', upstreamCommit: 'b'.repeat(40), diff }
      },
      [`${BASE}/0/diff?file=my%20notes.md`]: {
        status: 404,
        body: { message: 'my notes.md is not a file of the course' }
      }
    };
    const { button, requests } = await panelFor(WITH_MATERIALS, table);
    expect(button('diff', 'week1.ipynb')).not.toBeNull();
    expect(button('diff', 'my notes.md')).not.toBeNull();
    expect(button('diff', 'week2__20260102.ipynb')).toBeNull();

    const before = requests.length;
    await settle(async () => {
      button('diff', 'week1.ipynb')!.click();
      await waitForDialog();
    });
    const shown = document.querySelector<HTMLElement>(
      '.jp-Dialog .jp-envhub-diff'
    );
    expect(shown?.textContent).toBe(diff);
    expect(
      [...shown!.querySelectorAll('.jp-envhub-diff-removed')].map(
        line => line.textContent
      )
    ).toEqual(['-    "x = 2"\n']);
    expect(
      [...shown!.querySelectorAll('.jp-envhub-diff-added')].map(
        line => line.textContent
      )
    ).toEqual(['+    "x = 42  # my answer"\n']);
    expect(document.querySelector('.jp-Dialog')?.textContent).toContain(
      'Upstream diff of course/week1.ipynb'
    );
    await settle(() => acceptDialog());
    expect(document.querySelector('.jp-Dialog')).toBeNull();
    // One GET of the diff, nothing else: comparing changes nothing, so nothing is asked again.
    expect(requests.slice(before).map(r => [r.method, r.url])).toEqual([
      ['GET', `${BASE}/0/diff?file=week1.ipynb`]
    ]);

    const failure = jest.spyOn(Notification, 'error');
    await settle(() => button('diff', 'my notes.md')!.click());
    await settle();
    expect(failure).toHaveBeenCalledWith(
      expect.stringContaining('my notes.md is not a file of the course'),
      expect.anything()
    );
    expect(document.querySelector('.jp-Dialog')).toBeNull();
  });

  it('offers Backup and resync only when histories diverged, and pulls with backup', async () => {
    const table: Table = {
      [BASE]: listing(entry({ state: 'behind', behind: 1 }))
    };
    const { button, requests, materials } = await panelFor(
      WITH_MATERIALS,
      table
    );
    expect(button('resync')).toBeNull();

    table[BASE] = listing(entry({ state: 'diverged' }));
    await settle(() => materials.refresh());
    expect(button('resync')).not.toBeNull();

    table[`${BASE}/0/pull?backup=1`] = () =>
      streamResponse(['data: {"phase":"finished","index":0}\n\n']);
    await settle(async () => {
      button('resync')!.click();
      await acceptDialog();
    });
    await settle();
    expect(requests.map(r => r.url)).toContain(`${BASE}/0/pull?backup=1`);
  });
});

describe('MaterialsModel', () => {
  it('asks the server only while active, and not once disposed', async () => {
    const { settings, requests } = fakeServerSettings({ [BASE]: listing() });
    const materials = new MaterialsModel({
      serverSettings: settings,
      refreshInterval: 10
    });
    await settle(() => new Promise(resolve => setTimeout(resolve, 50)));
    expect(requests).toEqual([]);

    await settle(() => {
      materials.isActive = true;
    });
    expect(materials.state.status).toBe('ready');
    const asked = requests.length;
    expect(asked).toBeGreaterThan(0);

    materials.dispose();
    await settle(() => new Promise(resolve => setTimeout(resolve, 50)));
    expect(requests.length).toBe(asked);
  });
});
