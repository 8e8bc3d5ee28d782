// Browser script of the home page: starts a launch and shows its event stream until `ready`.
// `@envhub/schema/…` modules reach the browser through the page's import map (pages/html.ts).
import { EventStreamParser } from '@envhub/schema/eventStream';
import { decodeMaterial, gitPullPath } from '@envhub/schema/materials';
import { decodeMount } from '@envhub/schema/mounts';
import type { EnvironmentSpec, LaunchEvent } from '@envhub/schema';

const prefix = document.body.dataset.prefix ?? '/';
const xsrf = document.body.dataset.xsrf ?? '';
const form = document.getElementById(
  'envhub-launch-form'
) as HTMLFormElement | null;
const progress = document.getElementById('envhub-progress') as HTMLElement;
const phase = document.getElementById('envhub-phase') as HTMLElement;
const logView = document.getElementById('envhub-log') as HTMLElement;

/** The build-stream URL for a repository, a ref and launch parameters (the schema's names). */
function buildUrl(repo: string, ref: string, params: URLSearchParams): string {
  const path = `git/${encodeURIComponent(repo)}/${(ref || 'HEAD').split('/').map(encodeURIComponent).join('/')}`;
  const query = params.toString();
  return `${prefix}build/${path}${query ? `?${query}` : ''}`;
}

async function launch(url: string): Promise<void> {
  progress.hidden = false;
  logView.textContent = '';
  phase.textContent = 'starting';
  const response = await fetch(url, {
    headers: { Accept: 'text/event-stream', 'X-XSRFToken': xsrf },
    credentials: 'same-origin'
  });
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as {
      message?: string;
    };
    phase.textContent = 'failed';
    logView.textContent =
      body.message ?? `${response.status} ${response.statusText}`;
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new EventStreamParser();
  const brokeOff = (why: string) => {
    phase.textContent = 'failed';
    logView.textContent += `\nThe launch stream broke off (${why}); launch again.\n`;
  };
  for (;;) {
    let chunk: ReadableStreamReadResult<string>;
    try {
      chunk = await reader.read();
    } catch (err) {
      brokeOff((err as Error).message);
      return;
    }
    const { value, done } = chunk;
    const events = (done ? parser.end() : parser.push(value)) as LaunchEvent[];
    for (const event of events) {
      phase.textContent = event.phase;
      if (event.message) logView.textContent += event.message;
      logView.scrollTop = logView.scrollHeight;
      if (event.phase === 'ready' && event.url) {
        window.location.assign(event.url);
        return;
      }
      if (event.phase === 'failed') return;
    }
    // The stream ends after `ready` or `failed`; an end before either means the service went away.
    if (done)
      return brokeOff('the service closed it before the launch finished');
  }
}

/** The form's repository, ref and launch parameters. */
function formSpec(form: HTMLFormElement): {
  repo: string;
  ref: string;
  params: URLSearchParams;
} {
  const params = new URLSearchParams();
  let repo = '';
  let ref = '';
  for (const [key, value] of new FormData(form)) {
    const text = String(value).trim();
    // Lists of objects (mounts, materials) are textareas, one per line.
    const lines = form.elements.namedItem(key) instanceof HTMLTextAreaElement;
    if (key === 'repo') repo = text;
    else if (key === 'ref') ref = text;
    else if (key === 'user' || key === 'group' || lines)
      text
        .split(lines ? /\s*\n\s*/ : /[\s,]+/)
        .filter(Boolean)
        .forEach(v => params.append(key, v));
    else if (text) params.append(key, text);
  }
  return { repo, ref, params };
}

form?.addEventListener('submit', event => {
  event.preventDefault();
  const { repo, ref, params } = formSpec(form);
  void launch(buildUrl(repo, ref, params));
});

// Security notes for the options chosen: each shows while one of its fields has a value.
function showSecurityNotes(): void {
  if (!form) return;
  const filled = new Set(
    [...new FormData(form)]
      .filter(([, value]) => String(value).trim() !== '')
      .map(([key]) => key)
  );
  document
    .querySelectorAll<HTMLElement>('#envhub-security-notes [data-when]')
    .forEach(note => {
      note.hidden = !note.dataset
        .when!.split(' ')
        .some(field => filled.has(field));
    });
}
form?.addEventListener('input', showSecurityNotes);
showSecurityNotes();

// "Launch on another hub": the same spec as that hub's launch link (mybinder.org takes only a path to open).
form
  ?.querySelectorAll<HTMLButtonElement>('button[data-other-hub]')
  .forEach(button =>
    button.addEventListener('click', () => {
      if (!form.reportValidity()) return;
      const { repo, ref, params } = formSpec(form);
      const query = button.dataset.binderOnly ? binderQuery(params) : params;
      const path = buildUrl(repo, ref, query).slice(`${prefix}build/`.length);
      window.location.assign(
        `${button.dataset.otherHub!.replace(/\/?$/, '/')}v2/${path}`
      );
    })
  );

/**
 * What mybinder.org takes of the form: the path to open, and one material as a Binder +
 * nbgitpuller link (`urlpath=git-pull?…`, nbgitpuller being installed in the environment).
 */
function binderQuery(params: URLSearchParams): URLSearchParams {
  const urlpath = params.get('urlpath') ?? undefined;
  const [first] = params.getAll('materials');
  const material = first === undefined ? null : decodeMaterial(first);
  const open = material ? gitPullPath(material, urlpath) : urlpath;
  return new URLSearchParams(open ? { urlpath: open } : {});
}

// The class link: the canonical launch link of what the form holds, without launching. The codec
// is loaded on its own, so that a browser that cannot load it still launches.
const classLink = document.getElementById(
  'envhub-class-link'
) as HTMLInputElement | null;
const classLinkNote = document.getElementById('envhub-class-link-note');
const classLinkHelp = classLinkNote?.textContent ?? '';
const codec = Promise.all([
  import('@envhub/schema/launchUrl'),
  import('@envhub/schema/providers')
]);

async function showClassLink(): Promise<void> {
  if (!form || !classLink || !classLinkNote) return;
  const [{ launchPath, specFromLaunch }, { gitProviderPath }] = await codec;
  const { repo, ref, params } = formSpec(form);
  const { candidate, errors } = specFromLaunch(
    gitProviderPath(repo, ref || 'HEAD'),
    params
  );
  const problems = repo
    ? errors.map(e => e.message)
    : ['give the repository URL'];
  classLink.value =
    problems.length === 0
      ? new URL(
          `${prefix}${launchPath(candidate as unknown as EnvironmentSpec)}`,
          window.location.href
        ).href
      : '';
  classLinkNote.textContent =
    problems.length === 0
      ? classLinkHelp
      : `No link yet: ${problems.join('; ')}`;
}
if (form && classLink) {
  const show = () =>
    showClassLink().catch(() => {
      classLink.placeholder = 'This browser cannot make the link here';
    });
  form.addEventListener('input', () => void show());
  void show();
  document
    .getElementById('envhub-copy-class-link')
    ?.addEventListener('click', () => {
      if (!classLink.value) return;
      classLink.select();
      void navigator.clipboard?.writeText(classLink.value);
    });
}

// Server actions on the home page: start/relaunch stream a launch; stop and delete call the API.
document
  .querySelectorAll<HTMLButtonElement>('button[data-action]')
  .forEach(button =>
    button.addEventListener('click', async () => {
      const { action, launch: launchPath, name, owner } = button.dataset;
      if (action === 'start' || action === 'relaunch' || action === 'restart') {
        // The server's launch path, `v2/<provider>/<spec>?<its parameters>`, streamed from build/.
        const url = new URL(
          `${prefix}build/${launchPath!.slice('v2/'.length)}`,
          window.location.href
        );
        if (action !== 'start') url.searchParams.set(action, '1');
        return launch(url.pathname + url.search);
      }
      if (
        action === 'delete' &&
        !window.confirm(
          `Delete server "${name}" and its home? This cannot be undone.`
        )
      )
        return;
      await callApi(
        action === 'stop' ? 'POST' : 'DELETE',
        `servers/${owner}/${name}${action === 'stop' ? '/stop' : ''}`
      );
    })
  );

// Public access: make a server public (once the owner has agreed to what it means), or stop it.
document
  .querySelectorAll<HTMLButtonElement>('button[data-public-action]')
  .forEach(button =>
    button.addEventListener('click', () => {
      const { publicAction, owner, name, confirm } = button.dataset;
      if (confirm && !window.confirm(confirm)) return;
      void callApi(
        'PUT',
        `servers/${encodeURIComponent(owner!)}/${encodeURIComponent(name!)}/public`,
        { public: publicAction === 'make' }
      );
    })
  );

// Credentials: store one (the secret goes to the API once, and the field is cleared), remove one.
document
  .getElementById('envhub-credential-form')
  ?.addEventListener('submit', event => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const host = String(data.get('host') ?? '').trim();
    const body = {
      username: String(data.get('username') ?? '').trim(),
      token: String(data.get('token') ?? '')
    };
    (form.elements.namedItem('token') as HTMLInputElement).value = '';
    void callApi('PUT', `credentials/${encodeURIComponent(host)}`, body);
  });
document
  .querySelectorAll<HTMLButtonElement>('button[data-remove-credential]')
  .forEach(button =>
    button.addEventListener('click', () => {
      const host = button.dataset.removeCredential!;
      if (window.confirm(`Remove your credential for ${host}?`))
        void callApi('DELETE', `credentials/${encodeURIComponent(host)}`);
    })
  );

// Visitors' temporary sessions: end one (the owner of the public server or an admin).
document
  .querySelectorAll<HTMLButtonElement>('button[data-end-session]')
  .forEach(button =>
    button.addEventListener('click', () => {
      void callApi(
        'DELETE',
        `sessions/${encodeURIComponent(button.dataset.endSession!)}`
      );
    })
  );

/** Calls the API with the page's XSRF value; reloads the page when it worked, else says why. */
async function callApi(
  method: string,
  path: string,
  body?: unknown
): Promise<void> {
  const response = await fetch(`${prefix}api/${path}`, {
    method,
    headers: {
      'X-XSRFToken': xsrf,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin'
  });
  if (!response.ok) {
    const answer = (await response.json().catch(() => ({}))) as {
      message?: string;
    };
    window.alert(answer.message ?? `${response.status} ${response.statusText}`);
    return;
  }
  window.location.reload();
}

// A server's mounts, one per line; a line that is not volume:path[:ro] is sent as it is, for the
// service to name it.
document
  .querySelectorAll<HTMLFormElement>('form.envhub-mounts')
  .forEach(mountsForm =>
    mountsForm.addEventListener('submit', event => {
      event.preventDefault();
      const lines = String(new FormData(mountsForm).get('mounts') ?? '')
        .split('\n')
        .map(line => line.trim())
        .filter(Boolean);
      const { owner, name } = mountsForm.dataset;
      void callApi(
        'PUT',
        `servers/${owner}/${name}/mounts`,
        lines.map(line => decodeMount(line) ?? line)
      );
    })
  );

// Volumes: create one, change a volume's members, delete one.
document
  .getElementById('envhub-volume-form')
  ?.addEventListener('submit', event => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const name = String(form.get('name') ?? '').trim();
    const webdav = String(form.get('webdav') ?? '').trim();
    void callApi('POST', 'volumes', webdav ? { name, webdav } : { name });
  });
document
  .querySelectorAll<HTMLFormElement>('form.envhub-members')
  .forEach(membersForm =>
    membersForm.addEventListener('submit', event => {
      event.preventDefault();
      const data = new FormData(membersForm);
      const names = (field: string, readOnly: boolean) =>
        String(data.get(field) ?? '')
          .split(/[\s,]+/)
          .filter(Boolean)
          .map(name => ({ name, readOnly }));
      void callApi(
        'PUT',
        `volumes/${encodeURIComponent(membersForm.dataset.volume!)}/members`,
        {
          users: [...names('users', false), ...names('readOnlyUsers', true)],
          groups: [...names('groups', false), ...names('readOnlyGroups', true)]
        }
      );
    })
  );
document
  .querySelectorAll<HTMLButtonElement>('button[data-volume-action="delete"]')
  .forEach(button =>
    button.addEventListener('click', () => {
      const name = button.dataset.volume!;
      if (
        window.confirm(
          `Delete volume "${name}" and every file on it? This cannot be undone.`
        )
      ) {
        void callApi('DELETE', `volumes/${encodeURIComponent(name)}`);
      }
    })
  );

// A launch page starts its launch at once.
if (progress.dataset.buildUrl) void launch(progress.dataset.buildUrl);
