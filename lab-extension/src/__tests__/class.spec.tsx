import { CommandRegistry } from '@lumino/commands';
import { PromiseDelegate, ReadonlyJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { ClassModel } from '../classModel';
import { EnvhubModel } from '../model';
import { EnvhubPanel } from '../panel';
import { IClassAssignment, IClassView } from '../tokens';
import {
  CLASS,
  CREDENTIALS_URL,
  SERVER,
  assignment,
  credentialsAnswer,
  fakeFetch,
  fakeServerSettings,
  submission
} from './fakeService';
import { settle } from './render';

const BASE = 'http://localhost/user/alice/x/envhub/api/class';

type Table = Parameters<typeof fakeFetch>[0];

const INSTRUCTOR: IClassView = {
  ...CLASS,
  role: 'instructor',
  students: { users: ['alice', 'dave'], groups: [] }
};

const listing = (
  theClass: IClassView | null,
  assignments: IClassAssignment[] = [],
  nbgrader = true
) => ({
  status: 200,
  body: { class: theClass, assignments, nbgrader }
});

const FETCHED = {
  local: { fetched: true, path: 'intro101/ps1', feedback: [] }
};

const opened: {
  panel: EnvhubPanel;
  model: EnvhubModel;
  classes: ClassModel;
}[] = [];

/**
 * The panel over a server answering `table` from its own class API; the file browser and
 * document manager commands record what they are asked to do.
 */
async function panelFor(table: Table) {
  const service = fakeFetch({
    '/services/envhub/api/servers/alice/x': { status: 200, body: SERVER },
    [CREDENTIALS_URL]: credentialsAnswer()
  });
  const model = new EnvhubModel({
    context: {
      user: 'alice',
      serverUser: 'alice',
      serverName: 'x',
      serviceUrl: '/services/envhub/',
      token: 't'
    },
    fetch: service.fetch
  });
  const { settings, requests } = fakeServerSettings(table);
  const classes = new ClassModel({ serverSettings: settings });
  const commands = new CommandRegistry();
  const executed: [string, ReadonlyJSONObject][] = [];
  for (const id of ['docmanager:open', 'filebrowser:go-to-path']) {
    commands.addCommand(id, {
      execute: args => void executed.push([id, args])
    });
  }
  const panel = new EnvhubPanel({ model, commands, classes });
  await settle(() => Widget.attach(panel, document.body));
  await settle(() => model.refresh());
  await settle(() => classes.refresh());
  opened.push({ panel, model, classes });
  const section = () =>
    panel.node.querySelector<HTMLElement>('[data-section="class"]');
  const item = (id: string) =>
    section()!.querySelector<HTMLElement>(`[data-assignment="${id}"]`);
  const button = (id: string, action: string) =>
    item(id)!.querySelector<HTMLButtonElement>(
      `button[data-action="${action}"]`
    );
  const actions = (id: string) =>
    [
      ...item(id)!.querySelectorAll<HTMLButtonElement>('button[data-action]')
    ].map(b => b.dataset.action);
  const posts = () =>
    requests
      .filter(r => r.method === 'POST')
      .map(r => r.url.slice(BASE.length));
  return {
    panel,
    classes,
    requests,
    executed,
    section,
    item,
    button,
    actions,
    posts
  };
}

afterEach(() => {
  React.act(() => {
    for (const { panel, model, classes } of opened.splice(0)) {
      panel.dispose();
      model.dispose();
      classes.dispose();
    }
  });
  jest.restoreAllMocks();
});

const local = (iso: string) => new Date(iso).toLocaleString();

describe('ClassSection', () => {
  it('is hidden when the server was not launched for a class, and stops asking', async () => {
    const { panel, section, requests, classes } = await panelFor({
      [BASE]: listing(null)
    });
    expect(classes.state.status).toBe('ready');
    expect(section()).toBeNull();
    const asked = requests.length;
    expect(asked).toBeGreaterThan(0);
    // Shown again: a model with a class would ask at once; this one stands by.
    await settle(() => panel.hide());
    await settle(() => panel.show());
    expect(requests.length).toBe(asked);
  });

  it('is hidden, without an alert, where the server extension has no class API, and stops asking', async () => {
    const { panel, section, requests, classes } = await panelFor({});
    expect(classes.state.status).toBe('error');
    expect(section()).toBeNull();
    expect(panel.node.querySelector('[role="alert"]')).toBeNull();
    const asked = requests.length;
    await settle(() => panel.hide());
    await settle(() => panel.show());
    expect(requests.length).toBe(asked);
  });

  it('shows a student the class, the role and where each assignment stands', async () => {
    const { section, item, actions } = await panelFor({
      [BASE]: listing(CLASS, [
        assignment('ps1'),
        assignment('ps2', { dueAt: null, ...FETCHED }),
        assignment('ps3', { ...FETCHED, submissions: [submission('ps3')] }),
        assignment('ps4', {
          ...FETCHED,
          submissions: [
            submission('ps4'),
            submission('ps4', {
              id: 'ps4-s2',
              timestamp: '2026-01-10T08:00:00.000Z',
              late: true
            })
          ]
        }),
        assignment('ps5', {
          submissions: [submission('ps5', { hasFeedback: true })],
          feedback: ['2026-01-05T10:00:00.000Z']
        })
      ])
    });
    const text = (selector: string) =>
      section()!.querySelector(selector)?.textContent;
    expect(text('.jp-envhub-class-title')).toBe(
      'Introduction to programming (intro101)'
    );
    expect(text('.jp-envhub-class-role')).toBe('Student');
    expect(section()!.querySelector('.jp-envhub-formgrader')).toBeNull();
    expect(section()!.querySelector('.jp-envhub-assignment-counts')).toBeNull();
    expect(section()!.querySelector('[data-nbgrader="missing"]')).toBeNull();

    const items = [
      ...section()!.querySelectorAll<HTMLElement>('.jp-envhub-assignment')
    ];
    expect(items.map(i => [i.dataset.assignment, i.dataset.progress])).toEqual([
      ['ps1', 'not-fetched'],
      ['ps2', 'fetched'],
      ['ps3', 'submitted'],
      ['ps4', 'submitted'],
      ['ps5', 'feedback']
    ]);
    expect(
      items.map(
        i => i.querySelector('.jp-envhub-assignment-state')?.textContent
      )
    ).toEqual([
      'Not fetched',
      'Fetched',
      `Submitted at ${local('2026-01-05T10:00:00.000Z')} (on time)`,
      `Submitted at ${local('2026-01-10T08:00:00.000Z')} (late)`,
      'Feedback available'
    ]);

    const due = item('ps1')!.querySelector('time.jp-envhub-assignment-due');
    expect(due?.getAttribute('datetime')).toBe('2026-01-09T17:00:00.000Z');
    expect(due?.textContent).toBe(`Due ${local('2026-01-09T17:00:00.000Z')}`);
    expect(
      item('ps2')!.querySelector('.jp-envhub-assignment-due')?.textContent
    ).toBe('No due date');

    expect(actions('ps1')).toEqual(['fetch']);
    expect(actions('ps2')).toEqual(['open', 'submit']);
    expect(actions('ps3')).toEqual(['open', 'submit']);
    expect(actions('ps5')).toEqual(['fetch', 'feedback']);
    // No receipt without a submission made from this page.
    expect(section()!.querySelector('.jp-envhub-receipt')).toBeNull();
  });

  it('shows instructors how many submitted, and Formgrader in a new tab', async () => {
    const { section, item } = await panelFor({
      [BASE]: listing(INSTRUCTOR, [
        assignment('ps1', { submittedBy: 2, submissionCount: 3 }),
        assignment('ps2', { submittedBy: 1, submissionCount: 1 })
      ])
    });
    expect(section()!.querySelector('.jp-envhub-class-role')?.textContent).toBe(
      'Instructor'
    );
    expect(
      item('ps1')!.querySelector('.jp-envhub-assignment-counts')?.textContent
    ).toBe('2 students submitted, 3 submissions in all');
    expect(
      item('ps2')!.querySelector('.jp-envhub-assignment-counts')?.textContent
    ).toBe('1 student submitted, 1 submission in all');
    const formgrader = section()!.querySelector<HTMLAnchorElement>(
      'a.jp-envhub-formgrader'
    );
    expect(formgrader?.href).toBe('http://localhost/user/alice/x/formgrader');
    expect(formgrader?.target).toBe('_blank');
    expect(formgrader?.rel).toContain('noopener');
  });

  it('fetches an assignment once, showing progress while it runs, then asks again', async () => {
    const table: Table = { [BASE]: listing(CLASS, [assignment('ps1')]) };
    const { button, actions, posts, requests } = await panelFor(table);
    const answer = new PromiseDelegate<Response>();
    table[`${BASE}/assignments/ps1/fetch`] = () => answer.promise;

    await settle(() => {
      button('ps1', 'fetch')!.click();
      button('ps1', 'fetch')!.click();
    });
    expect(button('ps1', 'fetch')!.textContent).toBe('Fetching…');
    expect(button('ps1', 'fetch')!.disabled).toBe(true);
    await settle(() => button('ps1', 'fetch')!.click());
    expect(posts()).toEqual(['/assignments/ps1/fetch']);
    const post = requests.find(r => r.method === 'POST');
    expect(post?.headers.get('Authorization')).toBe('token page-token');

    table[BASE] = listing(CLASS, [assignment('ps1', FETCHED)]);
    const before = requests.filter(r => r.url === BASE).length;
    await settle(() =>
      answer.resolve(
        new Response(JSON.stringify({ path: 'intro101/ps1' }), {
          status: 200
        })
      )
    );
    await settle();
    expect(requests.filter(r => r.url === BASE).length).toBe(before + 1);
    expect(actions('ps1')).toEqual(['open', 'submit']);
  });

  it('opens a fetched assignment in the file browser', async () => {
    const { button, executed } = await panelFor({
      [BASE]: listing(CLASS, [assignment('ps1', FETCHED)])
    });
    await settle(() => button('ps1', 'open')!.click());
    expect(executed).toEqual([
      ['filebrowser:go-to-path', { path: 'intro101/ps1' }]
    ]);
  });

  it('submits, then keeps the receipt visible: when, late or not, and the files', async () => {
    const table: Table = {
      [BASE]: listing(CLASS, [assignment('ps1', FETCHED)]),
      [`${BASE}/assignments/ps1/submit`]: {
        status: 200,
        body: submission('ps1', {
          timestamp: '2026-01-10T08:00:00.000Z',
          late: true,
          files: ['ps1.ipynb', 'data/answers.csv']
        })
      }
    };
    const { item, button, posts, classes } = await panelFor(table);
    expect(item('ps1')!.querySelector('.jp-envhub-receipt')).toBeNull();

    await settle(() => button('ps1', 'submit')!.click());
    await settle();
    expect(posts()).toEqual(['/assignments/ps1/submit']);
    const receipt = () =>
      item('ps1')!.querySelector<HTMLElement>('.jp-envhub-receipt');
    expect(receipt()?.dataset.late).toBe('true');
    expect(receipt()?.textContent).toContain(
      `Submitted at ${local('2026-01-10T08:00:00.000Z')}, after the due date.`
    );
    expect(
      [...receipt()!.querySelectorAll('.jp-envhub-receipt-files li')].map(
        li => li.textContent
      )
    ).toEqual(['ps1.ipynb', 'data/answers.csv']);
    // The listing does not have the submission yet: the receipt says where it stands.
    expect(item('ps1')!.dataset.progress).toBe('submitted');
    expect(
      item('ps1')!.querySelector('.jp-envhub-assignment-state')?.textContent
    ).toBe(`Submitted at ${local('2026-01-10T08:00:00.000Z')} (late)`);

    // Asked again, the receipt stays, and the state follows a newer submission made elsewhere.
    table[BASE] = listing(CLASS, [
      assignment('ps1', {
        ...FETCHED,
        submissions: [
          submission('ps1', { timestamp: '2026-01-10T08:00:00.000Z' }),
          submission('ps1', {
            id: 'ps1-s2',
            timestamp: '2026-01-11T08:00:00.000Z',
            late: true
          })
        ]
      })
    ]);
    await settle(() => classes.refresh());
    expect(receipt()?.dataset.submission).toBe('ps1-s1');
    expect(
      item('ps1')!.querySelector('.jp-envhub-assignment-state')?.textContent
    ).toBe(`Submitted at ${local('2026-01-11T08:00:00.000Z')} (late)`);

    // Submitted again, the newer receipt replaces the last one.
    table[`${BASE}/assignments/ps1/submit`] = {
      status: 200,
      body: submission('ps1', {
        id: 'ps1-s3',
        timestamp: '2026-01-12T08:00:00.000Z',
        late: false
      })
    };
    await settle(() => button('ps1', 'submit')!.click());
    await settle();
    expect(receipt()?.dataset.submission).toBe('ps1-s3');
    expect(receipt()?.dataset.late).toBe('false');
    expect(receipt()?.textContent).toContain('on time');
  });

  it("shows the server's message with the assignment when a request fails, until the next one", async () => {
    const table: Table = {
      [BASE]: listing(CLASS, [assignment('ps1', FETCHED)]),
      [`${BASE}/assignments/ps1/submit`]: {
        status: 409,
        body: { message: 'The due date of ps1 has passed.' }
      }
    };
    const { item, button } = await panelFor(table);
    await settle(() => button('ps1', 'submit')!.click());
    await settle();
    const alert = () => item('ps1')!.querySelector('[role="alert"]');
    expect(alert()?.textContent).toBe('The due date of ps1 has passed.');
    expect(button('ps1', 'submit')!.disabled).toBe(false);
    expect(item('ps1')!.querySelector('.jp-envhub-receipt')).toBeNull();

    table[`${BASE}/assignments/ps1/submit`] = {
      status: 200,
      body: submission('ps1')
    };
    await settle(() => button('ps1', 'submit')!.click());
    await settle();
    expect(alert()).toBeNull();
    expect(item('ps1')!.querySelector('.jp-envhub-receipt')).not.toBeNull();
  });

  it('fetches the feedback, then opens its first html file in the HTML viewer', async () => {
    const table: Table = {
      [BASE]: listing(CLASS, [
        assignment('ps1', {
          ...FETCHED,
          submissions: [submission('ps1', { hasFeedback: true })],
          feedback: ['2026-01-05T10:00:00.000Z']
        })
      ])
    };
    const { button, posts, executed } = await panelFor(table);
    const answer = new PromiseDelegate<Response>();
    table[`${BASE}/assignments/ps1/feedback`] = () => answer.promise;
    await settle(() => button('ps1', 'feedback')!.click());
    expect(button('ps1', 'feedback')!.textContent).toBe('Fetching feedback…');
    expect(button('ps1', 'feedback')!.disabled).toBe(true);
    expect(button('ps1', 'submit')!.disabled).toBe(true);
    expect(executed).toEqual([]);

    const paths = [
      'intro101/ps1/feedback/2026-01-05 10:00:00.000000 UTC/notes.txt',
      'intro101/ps1/feedback/2026-01-05 10:00:00.000000 UTC/ps1.html',
      'intro101/ps1/feedback/2026-01-05 10:00:00.000000 UTC/ps1b.html'
    ];
    await settle(() =>
      answer.resolve(new Response(JSON.stringify({ paths }), { status: 200 }))
    );
    await settle();
    expect(posts()).toEqual(['/assignments/ps1/feedback']);
    expect(button('ps1', 'feedback')!.textContent).toBe('Open feedback');
    expect(executed).toEqual([
      [
        'docmanager:open',
        {
          path: 'intro101/ps1/feedback/2026-01-05 10:00:00.000000 UTC/ps1.html',
          factory: 'HTML Viewer'
        }
      ]
    ]);
  });

  it('opens nothing when fetching the feedback fails, and says why', async () => {
    const { item, button, executed } = await panelFor({
      [BASE]: listing(CLASS, [
        assignment('ps1', {
          submissions: [submission('ps1', { hasFeedback: true })],
          feedback: ['2026-01-05T10:00:00.000Z']
        })
      ]),
      [`${BASE}/assignments/ps1/feedback`]: {
        status: 502,
        body: { message: 'The envhub service could not be reached.' }
      }
    });
    await settle(() => button('ps1', 'feedback')!.click());
    await settle();
    expect(executed).toEqual([]);
    expect(item('ps1')!.querySelector('[role="alert"]')?.textContent).toBe(
      'The envhub service could not be reached.'
    );
  });

  it('says that fetching and submitting need nbgrader, and disables them, where it is missing', async () => {
    const { section, button, posts } = await panelFor({
      [BASE]: listing(
        INSTRUCTOR,
        [assignment('ps1'), assignment('ps2', FETCHED)],
        false
      )
    });
    expect(
      section()!.querySelector('[data-nbgrader="missing"]')?.textContent
    ).toContain('add nbgrader to the requirements.txt');
    expect(button('ps1', 'fetch')!.disabled).toBe(true);
    expect(button('ps2', 'submit')!.disabled).toBe(true);
    expect(button('ps2', 'open')!.disabled).toBe(false);
    expect(section()!.querySelector('.jp-envhub-formgrader')).toBeNull();
    await settle(() => button('ps1', 'fetch')!.click());
    expect(posts()).toEqual([]);
  });

  it('keeps the class shown above a failure to ask again', async () => {
    const table: Table = { [BASE]: listing(CLASS, [assignment('ps1')]) };
    const { section, classes } = await panelFor(table);
    table[BASE] = { status: 500, body: { message: 'The exchange is down.' } };
    await settle(() => classes.refresh());
    expect(
      section()!.querySelector(':scope > [role="alert"]')?.textContent
    ).toBe('The exchange is down.');
    expect(section()!.querySelector('[data-assignment="ps1"]')).not.toBeNull();
  });
});

describe('ClassModel', () => {
  it('asks the server only while active, and not once disposed', async () => {
    const { settings, requests } = fakeServerSettings({
      [BASE]: listing(CLASS)
    });
    const classes = new ClassModel({
      serverSettings: settings,
      refreshInterval: 10
    });
    await settle(() => new Promise(resolve => setTimeout(resolve, 50)));
    expect(requests).toEqual([]);

    await settle(() => {
      classes.isActive = true;
    });
    await settle(() => new Promise(resolve => setTimeout(resolve, 50)));
    expect(classes.state.class?.id).toBe('intro101');
    const asked = requests.length;
    // Polled while active: asked again after the first load.
    expect(asked).toBeGreaterThan(1);

    classes.dispose();
    await settle(() => new Promise(resolve => setTimeout(resolve, 50)));
    expect(requests.length).toBe(asked);
  });

  it('refuses a second request for an assignment while one runs', async () => {
    const answer = new PromiseDelegate<Response>();
    const { settings, requests } = fakeServerSettings({
      [BASE]: listing(CLASS, [assignment('ps1', FETCHED)]),
      [`${BASE}/assignments/ps1/submit`]: () => answer.promise
    });
    const classes = new ClassModel({ serverSettings: settings });
    const first = classes.submitAssignment('ps1');
    expect(classes.state.running).toEqual({ ps1: 'submit' });
    await expect(classes.fetchAssignment('ps1')).rejects.toThrow(
      'A request for ps1 is running already'
    );
    answer.resolve(
      new Response(JSON.stringify(submission('ps1')), { status: 200 })
    );
    await expect(first).resolves.toEqual(submission('ps1'));
    expect(classes.state.running).toEqual({});
    expect(classes.state.receipts.ps1).toEqual(submission('ps1'));
    expect(requests.filter(r => r.method === 'POST')).toHaveLength(1);
    classes.dispose();
  });
});
