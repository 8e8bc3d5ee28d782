import { environmentSchema } from '@envhub/schema';
import type { ServerView } from '../launches/serverView.js';
import { html, layout } from './html.js';

type Field = { title: string; description: string; default?: string };
const fields = environmentSchema.properties as unknown as Record<string, Field>;

/** The launch form's inputs, rendered from the environment schema. */
function input(name: 'repo' | 'ref' | 'name', required: boolean, placeholder: string) {
  const field = fields[name];
  return html`<label>${field.title}
  <input name="${name}" id="envhub-${name}" ${required ? html`required` : ''} placeholder="${placeholder}" value="${name === 'ref' ? (field.default ?? '') : ''}">
  <small>${field.description}</small></label>`;
}

export interface HomePageData {
  prefix: string;
  xsrf: string;
  user: string;
  servers: ServerView[];
}

/** The signed-in user's start page: a launch form and their servers. */
export function homePage(data: HomePageData): string {
  const rows = data.servers.map(
    s => html`<tr data-server="${s.name}">
  <td>${s.name}</td><td><code>${s.repoUrl}</code></td><td>${s.ref}</td><td><code>${s.commit.slice(0, 10)}</code></td>
  <td class="state">${s.state}</td>
  <td>${s.buildId ? html`<a class="build-log" href="${data.prefix}builds/${s.buildId}">build log</a>` : ''}</td>
  <td>${s.state === 'running' && s.url ? html`<a href="${s.url}">open</a>` : html`<button type="button" class="relaunch" data-repo="${s.repoUrl}" data-ref="${s.ref}" data-name="${s.name}">start</button>`}</td>
</tr>`
  );
  const body = html`<h1>Hello, ${data.user}</h1>
<p>Launch a git repository in the Binder format as a persistent server of your own.</p>
<form id="envhub-launch-form">
  ${input('repo', true, 'https://forge.example.org/group/project.git')}
  ${input('ref', false, 'HEAD')}
  ${input('name', false, 'derived from the repository name')}
  <button type="submit" id="envhub-launch">Launch</button>
</form>
<section id="envhub-progress" hidden>
  <h2>Launch <span id="envhub-phase"></span></h2>
  <pre id="envhub-log"></pre>
</section>
<h2>Your servers</h2>
${
  data.servers.length === 0
    ? html`<p id="envhub-no-servers">No servers yet.</p>`
    : html`<table id="envhub-servers"><thead><tr><th>Name</th><th>Repository</th><th>Ref</th><th>Commit</th><th>State</th><th>Build</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>`
}
<script type="module" src="${data.prefix}static/launch.js"></script>`;
  return layout({ title: 'Launch', prefix: data.prefix, body, xsrf: data.xsrf });
}
