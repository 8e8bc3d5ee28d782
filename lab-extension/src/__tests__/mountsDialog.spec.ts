import { MountsCSS, MountsEditor, mountErrors } from '../mountsDialog';
import { IEnvhubVolume } from '../tokens';
import { SERVER } from './fakeService';

const volume = (
  name: string,
  access: IEnvhubVolume['access'],
  owner = 'alice'
): IEnvhubVolume => ({
  name,
  owner,
  createdAt: '2026-01-02T03:04:05Z',
  members: { users: [], groups: [] },
  access,
  canManage: access === 'owner',
  mountedBy: []
});

const rows = (editor: MountsEditor) => [
  ...editor.node.querySelectorAll<HTMLElement>(`.${MountsCSS.row}`)
];
const field = (row: HTMLElement, name: string) =>
  row.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
const button = (root: HTMLElement, label: string) =>
  [...root.querySelectorAll<HTMLButtonElement>('button')].find(
    b => b.textContent === label
  )!;

describe('MountsEditor', () => {
  const start = [
    { source: 'course', target: '/mnt/course', readOnly: true },
    { source: 'scratch', target: '/home/jovyan/scratch', readOnly: false }
  ];
  const volumes = [
    volume('course', 'read', 'teacher'),
    volume('scratch', 'owner')
  ];
  const noCreate = () => Promise.reject(new Error('not expected'));

  it('shows one row per mount, offers the volumes with their access, and gives the mounts back', () => {
    const editor = new MountsEditor({
      mounts: start,
      volumes,
      createVolume: noCreate
    });
    expect(
      rows(editor).map(row => [
        field(row, 'source').value,
        field(row, 'target').value,
        field(row, 'readOnly').checked
      ])
    ).toEqual([
      ['course', '/mnt/course', true],
      ['scratch', '/home/jovyan/scratch', false]
    ]);
    const options = [...editor.node.querySelectorAll('datalist option')].map(
      o => (o as HTMLOptionElement).label
    );
    expect(options).toEqual([
      "course (teacher's, read-only for you)",
      'scratch (yours)'
    ]);
    expect(field(rows(editor)[0], 'source').getAttribute('list')).toBe(
      editor.node.querySelector('datalist')!.id
    );
    expect(editor.getValue()).toEqual(start);
    expect(editor.node.querySelector('a')).toBeNull();
  });

  it('links to the page where volumes and their members are managed', () => {
    const editor = new MountsEditor({
      mounts: [],
      volumes,
      createVolume: noCreate,
      volumesPageUrl: '/services/envhub/#envhub-volumes-section'
    });
    const link = editor.node.querySelector('a')!;
    expect(link.getAttribute('href')).toBe(
      '/services/envhub/#envhub-volumes-section'
    );
    expect(link.target).toBe('_blank');
  });

  it('adds, changes and removes rows; empty rows are dropped', () => {
    const editor = new MountsEditor({
      mounts: start,
      volumes,
      createVolume: noCreate
    });
    button(rows(editor)[1], 'Remove').click();
    button(editor.node, 'Add mount').click();
    button(editor.node, 'Add mount').click();
    const [, added] = rows(editor);
    field(added, 'source').value = 'scratch';
    field(added, 'target').value = ' /mnt/scratch ';
    field(rows(editor)[0], 'readOnly').checked = false;
    expect(editor.getValue()).toEqual([
      { source: 'course', target: '/mnt/course', readOnly: false },
      { source: 'scratch', target: '/mnt/scratch', readOnly: false }
    ]);
  });

  it('puts each field error on its row and a refusal above the rows', () => {
    const errors = mountErrors(SERVER, [
      start[0],
      { source: 'scratch', target: '/etc', readOnly: false }
    ]);
    expect(errors.map(e => e.field)).toEqual(['mounts.1.target']);
    const editor = new MountsEditor({
      mounts: start,
      volumes,
      errors,
      message: 'volume "x" is gone',
      createVolume: noCreate
    });
    expect(rows(editor)[0].querySelector(`.${MountsCSS.error}`)).toBeNull();
    expect(
      rows(editor)[1].querySelector(`.${MountsCSS.error}`)?.textContent
    ).toContain('below /home/jovyan/ or /mnt/');
    expect(editor.node.querySelector('[role="alert"]')?.textContent).toBe(
      'volume "x" is gone'
    );
  });

  it('creates a volume, offers it and mounts it in a new row; a refusal is shown', async () => {
    const created: string[] = [];
    const createVolume = async (name: string) => {
      if (name === 'taken') {
        throw new Error(
          'a volume named "taken" already exists on this hub; choose another name'
        );
      }
      created.push(name);
      return volume(name, 'owner');
    };
    const editor = new MountsEditor({ mounts: [], volumes: [], createVolume });
    expect(editor.node.textContent).toContain(
      'You may not mount any volume yet'
    );
    const name = editor.node.querySelector<HTMLInputElement>(
      'input[name="volume"]'
    )!;
    const create = button(editor.node, 'Create and mount');

    name.value = 'taken';
    create.click();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(
      editor.node.querySelector(`.${MountsCSS.create} [role="status"]`)
        ?.textContent
    ).toContain('already exists');
    expect(rows(editor)).toHaveLength(0);

    name.value = 'results';
    create.click();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(created).toEqual(['results']);
    expect(editor.getValue()).toEqual([
      { source: 'results', target: '/mnt/results', readOnly: false }
    ]);
    expect(
      [...editor.node.querySelectorAll('datalist option')].map(
        o => (o as HTMLOptionElement).value
      )
    ).toEqual(['results']);
  });
});

describe('mountErrors', () => {
  it('finds a second mount at the same path and bad volume names, and nothing in good mounts', () => {
    expect(
      mountErrors(SERVER, [{ source: 'a', target: '/mnt/a', readOnly: false }])
    ).toEqual([]);
    const errors = mountErrors(SERVER, [
      { source: 'a', target: '/mnt/a', readOnly: false },
      { source: 'Bad Name', target: '/mnt/a', readOnly: false }
    ]);
    expect(errors.map(e => e.field).sort()).toEqual([
      'mounts.1.source',
      'mounts.1.target'
    ]);
  });
});
