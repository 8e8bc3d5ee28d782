import { CommandRegistry } from '@lumino/commands';

import { EnvhubModel } from '../model';
import { EnvhubPanel, MOUNTS_PENDING_NOTE } from '../panel';
import { CommandIDs, IEnvhubServer } from '../tokens';
import { BUILD, SERVER, fakeFetch } from './fakeService';

const ALICE_X = '/services/envhub/api/servers/alice/x';

/** The panel over a model loaded from a fake service answering `server`. */
async function panelFor(
  server: IEnvhubServer
): Promise<{ panel: EnvhubPanel; executed: string[] }> {
  const { fetch } = fakeFetch({
    [ALICE_X]: { status: 200, body: server },
    '/services/envhub/api/builds/b1': { status: 200, body: BUILD }
  });
  const model = new EnvhubModel({
    context: {
      user: 'alice',
      serverUser: 'alice',
      serverName: 'x',
      serviceUrl: '/services/envhub/',
      token: 't'
    },
    fetch
  });
  await model.refresh();
  const commands = new CommandRegistry();
  const executed: string[] = [];
  for (const id of Object.values(CommandIDs)) {
    commands.addCommand(id, {
      label: id,
      execute: () => void executed.push(id)
    });
  }
  const panel = new EnvhubPanel(model, commands);
  return { panel, executed };
}

const mountsSection = (panel: EnvhubPanel) =>
  panel.node.querySelector<HTMLElement>('[data-section="mounts"]')!;
const buttons = (section: HTMLElement) => [
  ...section.querySelectorAll<HTMLButtonElement>('button[data-command]')
];

describe('EnvhubPanel mounts', () => {
  it('lists each mount as it binds, with what keeps the server from starting', async () => {
    const { panel } = await panelFor({
      ...SERVER,
      mounts: [
        {
          source: 'course',
          target: '/mnt/course',
          readOnly: true,
          problem: null
        },
        {
          source: 'gone',
          target: '/mnt/gone',
          readOnly: false,
          problem: 'there is no volume "gone" (create it first)'
        }
      ]
    });
    const items = [...mountsSection(panel).querySelectorAll('li')];
    expect(items.map(item => item.dataset.source)).toEqual(['course', 'gone']);
    expect(items[0].textContent).toBe('/mnt/course ← course (read-only)');
    expect(items[1].querySelector('.jp-envhub-error')?.textContent).toBe(
      'Keeps the server from starting: there is no volume "gone" (create it first)'
    );
    panel.dispose();
  });

  it('offers the owner the editor, and a restart while changed mounts wait for one', async () => {
    const { panel, executed } = await panelFor({
      ...SERVER,
      mountsPending: true
    });
    const section = mountsSection(panel);
    expect(section.textContent).toContain(MOUNTS_PENDING_NOTE);
    expect(buttons(section).map(b => b.dataset.command)).toEqual([
      CommandIDs.mounts,
      CommandIDs.restart
    ]);
    buttons(section)[1].click();
    expect(executed).toEqual([CommandIDs.restart]);
    panel.dispose();

    const settled = await panelFor(SERVER);
    expect(
      mountsSection(settled.panel).querySelector('[data-pending]')
    ).toBeNull();
    expect(
      buttons(mountsSection(settled.panel)).map(b => b.dataset.command)
    ).toEqual([CommandIDs.mounts]);
    settled.panel.dispose();
  });

  it('shows a collaborator the mounts without controls', async () => {
    const { panel } = await panelFor({
      ...SERVER,
      canManage: false,
      mountsPending: true
    });
    const section = mountsSection(panel);
    expect(buttons(section)).toEqual([]);
    expect(section.textContent).toContain(
      'Only the owner can change the mounts.'
    );
    panel.dispose();
  });
});
