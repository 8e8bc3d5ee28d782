// Browser script of the home page: starts a launch and shows its event stream until `ready`.
const prefix = document.body.dataset.prefix ?? '/';
const xsrf = document.body.dataset.xsrf ?? '';
const form = document.getElementById('envhub-launch-form') as HTMLFormElement | null;
const progress = document.getElementById('envhub-progress') as HTMLElement;
const phase = document.getElementById('envhub-phase') as HTMLElement;
const logView = document.getElementById('envhub-log') as HTMLElement;

interface LaunchEvent {
  phase: string;
  message?: string;
  url?: string;
}

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
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    phase.textContent = 'failed';
    logView.textContent = body.message ?? `${response.status} ${response.statusText}`;
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!block.startsWith('data:')) continue;
      const event = JSON.parse(block.slice(5)) as LaunchEvent;
      phase.textContent = event.phase;
      if (event.message) logView.textContent += event.message;
      logView.scrollTop = logView.scrollHeight;
      if (event.phase === 'ready' && event.url) {
        window.location.assign(event.url);
        return;
      }
      if (event.phase === 'failed') return;
    }
  }
}

/** The form's repository, ref and launch parameters. */
function formSpec(form: HTMLFormElement): { repo: string; ref: string; params: URLSearchParams } {
  const params = new URLSearchParams();
  let repo = '';
  let ref = '';
  for (const [key, value] of new FormData(form)) {
    const text = String(value).trim();
    if (key === 'repo') repo = text;
    else if (key === 'ref') ref = text;
    else if (key === 'user' || key === 'group') text.split(/[\s,]+/).filter(Boolean).forEach(v => params.append(key, v));
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
  const filled = new Set([...new FormData(form)].filter(([, value]) => String(value).trim() !== '').map(([key]) => key));
  document.querySelectorAll<HTMLElement>('#envhub-security-notes [data-when]').forEach(note => {
    note.hidden = !note.dataset.when!.split(' ').some(field => filled.has(field));
  });
}
form?.addEventListener('input', showSecurityNotes);
showSecurityNotes();

// "Launch on another hub": the same spec as that hub's launch link (mybinder.org takes only a path to open).
form?.querySelectorAll<HTMLButtonElement>('button[data-other-hub]').forEach(button =>
  button.addEventListener('click', () => {
    if (!form.reportValidity()) return;
    const { repo, ref, params } = formSpec(form);
    const query = button.dataset.binderOnly ? new URLSearchParams([...params].filter(([key]) => key === 'urlpath')) : params;
    const path = buildUrl(repo, ref, query).slice(`${prefix}build/`.length);
    window.location.assign(`${button.dataset.otherHub!.replace(/\/?$/, '/')}v2/${path}`);
  })
);

// Server actions on the home page: start/relaunch stream a launch; stop and delete call the API.
document.querySelectorAll<HTMLButtonElement>('button[data-action]').forEach(button =>
  button.addEventListener('click', async () => {
    const { action, repo, ref, name, owner } = button.dataset;
    if (action === 'start' || action === 'relaunch') {
      const params = new URLSearchParams({ name: name! });
      if (action === 'relaunch') params.set('relaunch', '1');
      return launch(buildUrl(repo!, ref!, params));
    }
    if (action === 'delete' && !window.confirm(`Delete server "${name}" and its home? This cannot be undone.`)) return;
    const response = await fetch(`${prefix}api/servers/${owner}/${name}${action === 'stop' ? '/stop' : ''}`, {
      method: action === 'stop' ? 'POST' : 'DELETE',
      headers: { 'X-XSRFToken': xsrf },
      credentials: 'same-origin'
    });
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      window.alert(body.message ?? `${response.status} ${response.statusText}`);
    }
    window.location.reload();
  })
);

// A launch page starts its launch at once.
if (progress.dataset.buildUrl) void launch(progress.dataset.buildUrl);
