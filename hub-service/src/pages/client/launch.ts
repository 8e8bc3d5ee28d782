// Browser script of the home page: starts a launch and shows its event stream until `ready`.
const prefix = document.body.dataset.prefix ?? '/';
const xsrf = document.body.dataset.xsrf ?? '';
const form = document.getElementById('envhub-launch-form') as HTMLFormElement;
const progress = document.getElementById('envhub-progress') as HTMLElement;
const phase = document.getElementById('envhub-phase') as HTMLElement;
const logView = document.getElementById('envhub-log') as HTMLElement;

interface LaunchEvent {
  phase: string;
  message?: string;
  url?: string;
}

function buildUrl(repo: string, ref: string, name: string): string {
  const path = `git/${encodeURIComponent(repo)}/${ref.split('/').map(encodeURIComponent).join('/')}`;
  const query = name ? `?${new URLSearchParams({ name })}` : '';
  return `${prefix}build/${path}${query}`;
}

async function launch(repo: string, ref: string, name: string): Promise<void> {
  progress.hidden = false;
  logView.textContent = '';
  phase.textContent = 'starting';
  const response = await fetch(buildUrl(repo, ref || 'HEAD', name), {
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

form.addEventListener('submit', event => {
  event.preventDefault();
  const data = new FormData(form);
  void launch(String(data.get('repo')).trim(), String(data.get('ref')).trim(), String(data.get('name')).trim());
});

document.querySelectorAll<HTMLButtonElement>('button.relaunch').forEach(button =>
  button.addEventListener('click', () => void launch(button.dataset.repo!, button.dataset.ref!, button.dataset.name!))
);
