import { launchParameters, specDiff, validateSpec } from '@envhub/schema';

import { forkErrors, forkStart } from '../forkDialog';
import { launchRequest } from '../launchDialog';
import { FormCSS, LaunchForm, fieldText, fieldValue } from '../launchForm';
import { PUBLIC_SERVER, SERVER } from './fakeService';

function field(form: LaunchForm, name: string): HTMLElement {
  const row = form.node.querySelector<HTMLElement>(
    `.${FormCSS.field}[data-param="${name}"]`
  );
  if (!row) {
    throw new Error(`no field ${name}`);
  }
  return row;
}

function input(form: LaunchForm, name: string): HTMLInputElement {
  return field(form, name).querySelector<HTMLInputElement>(`[name="${name}"]`)!;
}

describe('LaunchForm', () => {
  it('renders one field per launch parameter, labelled and explained by the schema', () => {
    const form = new LaunchForm({ repo: SERVER.repoUrl });
    const rows = [
      ...form.node.querySelectorAll<HTMLElement>(`.${FormCSS.field}`)
    ];

    expect(rows.map(row => row.dataset.param)).toEqual(
      launchParameters.map(p => p.name)
    );
    for (const param of launchParameters) {
      const row = field(form, param.name);
      const label = row.querySelector('label')!;
      expect(label.textContent).toContain(param.node.title);
      const control = row.querySelector<HTMLElement>(`[name="${param.name}"]`)!;
      expect(label.htmlFor === control.id || label.contains(control)).toBe(
        true
      );
      const help = form.node.querySelector(
        `#${control.getAttribute('aria-describedby')}`
      );
      expect(help?.textContent).toContain(param.node.description);
    }
  });

  it('groups nested fields under their object title', () => {
    const form = new LaunchForm({ repo: SERVER.repoUrl });
    const legends = [
      ...form.node.querySelectorAll(`.${FormCSS.group} > legend`)
    ].map(l => l.textContent);
    expect(legends).toEqual(['Collaborators', 'Resources']);
    expect(
      field(form, 'memory').closest('fieldset')?.querySelector('legend')
        ?.textContent
    ).toBe('Resources');
  });

  it('lets every field be edited, with no "not supported yet" note', () => {
    const form = new LaunchForm({ repo: SERVER.repoUrl, credentials: true });
    for (const param of launchParameters) {
      expect(input(form, param.name).disabled).toBe(false);
    }
    expect(form.node.textContent).not.toMatch(/not supported/i);
  });

  it('lets the owner pass their credentials, off by default, as a file or as environment variables too, and warns what that means', () => {
    const form = new LaunchForm({ repo: SERVER.repoUrl });
    const select = field(form, 'credentials').querySelector('select')!;
    expect(select.name).toBe('credentials');
    expect([...select.options].map(o => o.textContent)).toEqual([
      'No',
      'As a file',
      'As a file and environment variables'
    ]);
    expect(select.selectedIndex).toBe(0);
    const help = field(form, 'credentials').querySelector(`.${FormCSS.help}`);
    expect(help?.textContent).toContain(
      'With credentials, the code can take any action on behalf of the user in any service that uses the same authentication.'
    );
    expect(help?.textContent).toContain(
      "Your stored credentials (see Your credentials on envhub's page) are passed into the server as /run/envhub/credentials.json, for git and your code"
    );
    expect(help?.textContent).toContain(
      'with "As a file and environment variables" also as ENVHUB_CREDENTIAL_<HOST>_USERNAME and ENVHUB_CREDENTIAL_<HOST>_TOKEN, which every process in the server can read and which are not refreshed; off by default.'
    );
    expect(form.getValue().credentials).toBeUndefined();

    select.selectedIndex = 1;
    expect(form.getValue().credentials).toBe(true);
    expect(validateSpec(form.getValue()).ok).toBe(true);
    select.selectedIndex = 2;
    expect(form.getValue().credentials).toBe('env');
    expect(validateSpec(form.getValue()).ok).toBe(true);
    select.selectedIndex = 0;
    expect(form.getValue().credentials).toBeUndefined();
    for (const credentials of [true, 'env'] as const) {
      const given = new LaunchForm({ repo: SERVER.repoUrl, credentials });
      expect(given.getValue().credentials).toBe(credentials);
    }
    expect(
      field(
        new LaunchForm({ repo: SERVER.repoUrl, credentials: 'env' }),
        'credentials'
      ).querySelector('select')!.selectedIndex
    ).toBe(2);
  });

  it('lets the owner make the server public, and says what that means', () => {
    const form = new LaunchForm({ repo: SERVER.repoUrl });
    const box = input(form, 'public');
    expect(box.type).toBe('checkbox');
    expect(box.disabled).toBe(false);
    expect(box.checked).toBe(false);
    const help = field(form, 'public').querySelector(`.${FormCSS.help}`);
    expect(help?.textContent).toContain(
      'Anyone with the public link, signed in or not, can run the code and read the mounted data. Each visitor gets a throw-away copy of the server, with the mounts read-only for them'
    );
    expect(help?.textContent).not.toContain('credentials');
    expect(form.getValue().public).toBeUndefined();

    box.checked = true;
    expect(form.getValue().public).toBe(true);
    expect(validateSpec(form.getValue()).ok).toBe(true);
  });

  it('edits mounts as volume:path[:ro] lines', () => {
    const form = new LaunchForm({
      repo: SERVER.repoUrl,
      mounts: [{ source: 'course-data', target: '/mnt/data', readOnly: true }]
    });
    const mount = input(form, 'mount');
    expect(mount.disabled).toBe(false);
    expect(mount.value).toBe('course-data:/mnt/data:ro');
    mount.value = 'course-data:/mnt/data:ro\nscratch:/home/jovyan/scratch';
    expect(form.getValue().mounts).toEqual([
      { source: 'course-data', target: '/mnt/data', readOnly: true },
      { source: 'scratch', target: '/home/jovyan/scratch' }
    ]);
  });

  it("is prefilled from a server's spec without its name, and gives it back unchanged", () => {
    const start = forkStart(SERVER);
    const form = new LaunchForm(start);

    expect(input(form, 'name').value).toBe('');
    expect(input(form, 'memory').value).toBe('1G');
    expect(input(form, 'user').value).toBe('bob');
    expect(form.node.textContent).toContain(`${SERVER.repoUrl} @ main`);
    expect(specDiff(start, form.getValue())).toEqual([]);
    expect(SERVER.spec.name).toBe('x');
  });

  it('reads changed fields by their schema type', () => {
    const form = new LaunchForm(forkStart(SERVER));
    input(form, 'name').value = ' y ';
    input(form, 'memory').value = '';
    input(form, 'cpus').value = '0.5';
    input(form, 'idleTimeout').value = 'soon';
    input(form, 'user').value = 'bob, carol,,';
    input(form, 'group').value = 'course-2024';

    const spec = form.getValue();

    expect(spec).toEqual({
      repo: SERVER.repoUrl,
      ref: 'main',
      name: 'y',
      collaborators: { users: ['bob', 'carol'], groups: ['course-2024'] },
      resources: { cpus: 0.5, idleTimeout: 'soon' }
    });
    // Validation then names the field that is not a number.
    const validation = validateSpec(spec);
    expect(validation.ok).toBe(false);
    expect(!validation.ok && validation.errors.map(e => e.field)).toEqual([
      'resources.idleTimeout'
    ]);
  });

  it('shows each error under its field, and the others above the form', () => {
    const form = new LaunchForm(forkStart(SERVER), [
      {
        field: 'resources.memory',
        message: 'resources.memory does not have the expected form'
      },
      {
        field: 'collaborators.users.1',
        message: 'collaborators.users must list each entry once'
      },
      { field: '(spec)', message: 'something else' }
    ]);
    expect(
      field(form, 'memory').querySelector(`.${FormCSS.error}`)?.textContent
    ).toBe('resources.memory does not have the expected form');
    expect(input(form, 'memory').getAttribute('aria-invalid')).toBe('true');
    expect(
      field(form, 'user').querySelector(`.${FormCSS.error}`)?.textContent
    ).toContain('each entry once');
    expect(form.node.querySelector(`.${FormCSS.errors}`)?.textContent).toBe(
      'something else'
    );
    expect(field(form, 'cpus').querySelector(`.${FormCSS.error}`)).toBeNull();
  });
});

describe('forking', () => {
  it("starts private, whatever the server's public access", () => {
    const start = forkStart(PUBLIC_SERVER);
    expect(start.public).toBeUndefined();
    expect(input(new LaunchForm(start), 'public').checked).toBe(false);
    expect(PUBLIC_SERVER.spec.public).toBe(true);
  });

  it('needs a valid name of its own', () => {
    expect(forkErrors(forkStart(SERVER), SERVER).map(e => e.field)).toEqual([
      'name'
    ]);
    expect(
      forkErrors({ ...forkStart(SERVER), name: 'x' }, SERVER)[0].message
    ).toContain("this server's name");
    expect(
      forkErrors({ ...forkStart(SERVER), name: 'Not A Name' }, SERVER)
    ).toHaveLength(1);
    expect(forkErrors({ ...forkStart(SERVER), name: 'y' }, SERVER)).toEqual([]);
  });

  it('launches through the build stream with the spec as launch parameters', () => {
    const { path, query } = launchRequest({
      ...forkStart(SERVER),
      name: 'y',
      displayName: 'Week 3'
    });
    expect(path).toBe(`git/${encodeURIComponent(SERVER.repoUrl)}/main`);
    expect(query.toString()).toBe(
      'name=y&displayName=Week+3&user=bob&memory=1G'
    );

    const relaunch = launchRequest(SERVER.spec, { relaunch: '1' });
    expect(relaunch.query.get('name')).toBe('x');
    expect(relaunch.query.get('relaunch')).toBe('1');
  });
});

describe('list fields', () => {
  const param = (name: string) => launchParameters.find(p => p.name === name)!;

  it('shows mounts and materials one per line in their link form, and reads them back', () => {
    const materials = [
      {
        repo: 'https://forge.example.org/course/week.git',
        ref: 'main',
        path: 'week1'
      },
      { repo: 'https://forge.example.org/course/data.git' }
    ];
    const text = fieldText(param('materials'), materials);
    expect(text.split('\n')).toHaveLength(2);
    expect(fieldValue(param('materials'), text)).toEqual(materials);
    const mounts = [
      { source: 'course-data', target: '/mnt/data', readOnly: true }
    ];
    expect(
      fieldValue(param('mount'), fieldText(param('mount'), mounts))
    ).toEqual(mounts);
  });

  it('keeps a line the codec cannot read as text, for validation to name', () => {
    expect(fieldValue(param('mount'), 'not a mount')).toEqual(['not a mount']);
  });
});
