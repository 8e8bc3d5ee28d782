import { launchParameters, launchPath, type EnvironmentSpec } from '@envhub/schema';
import type { ServerView } from '../launches/serverView.js';
import type { SiteConfig } from '../policy/siteConfig.js';
import { html, layout, type Html } from './html.js';

export interface HomePageData {
  prefix: string;
  xsrf: string;
  user: string;
  site: SiteConfig;
  servers: ServerView[];
  /** Values to prefill the form with (launch parameter names, plus repo and ref). */
  prefill: Record<string, string>;
}

type Param = (typeof launchParameters)[number];

/** One form input for one launch parameter, from its schema node; `hint` fills an empty field's placeholder. */
function input(param: Param, value: string | undefined, hint?: string): Html {
  const { name, node } = param;
  const id = `envhub-${name}`;
  if (node.type === 'boolean') {
    return html`<label class="inline"><input type="checkbox" name="${name}" id="${id}" value="1" ${value === '1' ? html`checked` : ''}> ${node.title}
  <small>${node.description}</small></label>`;
  }
  const list = node.type === 'array';
  return html`<label>${node.title}${list ? ' (comma-separated)' : ''}
  <input name="${name}" id="${id}" value="${value ?? ''}" placeholder="${hint ?? ''}" ${node.type === 'number' || node.type === 'integer' ? html`inputmode="decimal"` : ''}>
  <small>${node.description}</small></label>`;
}

const basic = new Set(['name', 'displayName', 'urlpath']);

/** The launch form, rendered from the environment schema: repository and ref, then every launch parameter. */
function launchForm(data: HomePageData): Html {
  const params = launchParameters.filter(p => !['labpath', 'filepath'].includes(p.name));
  const prefill = data.prefill;
  const { defaults, maxima } = data.site.resources;
  const placeholders: Record<string, string> = {
    mount: 'volume:/mnt/data or volume:/mnt/data:ro',
    memory: `${defaults.memory} (this hub's default; at most ${maxima.memory})`,
    cpus: `${defaults.cpus} (default; at most ${maxima.cpus})`,
    idleTimeout: `${defaults.idleTimeout} (default; at most ${maxima.idleTimeout})`,
    maxAge: `${defaults.maxAge} (default; at most ${maxima.maxAge})`
  };
  return html`<form id="envhub-launch-form">
  <label>Repository URL <input name="repo" id="envhub-repo" required value="${prefill.repo ?? ''}" placeholder="https://forge.example.org/group/project.git">
    <small>A git repository in the Binder format (requirements.txt, environment.yml, apt.txt, postBuild, …)</small></label>
  <label>Git ref <input name="ref" id="envhub-ref" value="${prefill.ref ?? 'HEAD'}"><small>A branch, tag or commit; HEAD means the default branch</small></label>
  ${params.filter(p => basic.has(p.name)).map(p => input(p, prefill[p.name]))}
  <details><summary>Resources, collaborators and access</summary>
  ${params.filter(p => !basic.has(p.name)).map(p => input(p, prefill[p.name], placeholders[p.name]))}
  <ul class="envhub-security" id="envhub-security-notes">
    <li data-when="user group" hidden>Collaborators get full access to the server, as you have: they can run code, and read and change its files.</li>
    <li data-when="mount public credentials" hidden>Mounts, public access and credentials are not supported on this hub yet: a launch asking for them is refused.</li>
    <li data-when="memory cpus idleTimeout maxAge" hidden>Resources above this hub's maxima are refused; envhub stops the server after the idle timeout or maximum age, keeping its home.</li>
    <li>Everything in the repository runs with your permissions inside your server; launch only repositories you trust.</li>
  </ul>
  </details>
  <div class="actions">
    <button type="submit" id="envhub-launch">Launch</button>
    ${data.site.otherHubs.map(hub => html`<button type="button" class="secondary" data-other-hub="${hub.url}">Launch on ${hub.name}</button>`)}
    <button type="button" class="secondary" data-other-hub="https://mybinder.org/" data-binder-only="1">Launch on mybinder.org</button>
  </div>
</form>`;
}

function featured(data: HomePageData): Html {
  if (data.site.featured.length === 0) return html``;
  return html`<section id="envhub-featured"><h2>Choose a preconfigured server</h2><ul>${data.site.featured.map(
    f => html`<li><a href="${data.prefix}${launchPath({ repo: f.repo, ref: f.ref ?? 'HEAD' } as EnvironmentSpec)}">${f.title}</a>${f.description ? html` — ${f.description}` : ''}</li>`
  )}</ul></section>`;
}

/** A spec mybinder.org can launch as it is: only a repository, a ref and a path to open. */
function binderCompatible(spec: EnvironmentSpec): boolean {
  const envhubOnly = launchPath({ ...spec, urlpath: undefined, name: undefined, displayName: undefined });
  return !envhubOnly.includes('?');
}

function serverRow(data: HomePageData, s: ServerView): Html {
  const action = (name: string, label: string) =>
    html`<button type="button" data-action="${name}" data-owner="${s.owner}" data-name="${s.name}" data-repo="${s.repoUrl}" data-ref="${s.ref}">${label}</button>`;
  const { launchUrl, snippets } = s;
  return html`<tr data-server="${s.name}">
  <td>${s.displayName}</td><td><code>${s.repoUrl}</code></td><td>${s.ref}</td><td><code>${s.commit.slice(0, 10)}</code></td>
  <td class="state">${s.state}</td>
  <td>${s.buildId ? html`<a class="build-log" href="${data.prefix}builds/${s.buildId}">build log</a>` : ''}</td>
  <td class="actions">${s.state === 'running' && s.url ? html`<a class="button" href="${s.url}">open</a>${action('stop', 'stop')}` : action('start', 'start')}${action('relaunch', 'relaunch')}${action('delete', 'delete')}
  <details class="share"><summary>share</summary>
    <label>Launch link <input readonly class="launch-link" value="${launchUrl}"></label>
    <label>Markdown <input readonly value="${snippets.markdown}"></label>
    <label>reStructuredText <textarea readonly rows="3">${snippets.rst}</textarea></label>
    <label>HTML <input readonly value="${snippets.html}"></label>
    ${data.site.otherHubs.map(hub => html`<a href="${hub.url.replace(/\/?$/, '/')}${launchPath(s.spec)}">launch on ${hub.name}</a> `)}
    ${binderCompatible(s.spec) ? html`<a href="https://mybinder.org/${launchPath({ repo: s.repoUrl, ref: s.ref, urlpath: s.spec.urlpath } as EnvironmentSpec)}">launch on mybinder.org</a>` : ''}
  </details></td>
</tr>`;
}

/** The signed-in user's start page: launch form, featured environments, their servers. */
export function homePage(data: HomePageData): string {
  const credits = data.site.credits;
  const body = html`<h1>Hello, ${data.user}</h1>
<p>Launch a git repository in the Binder format as a persistent server of your own.
  <a href="${data.site.docsUrl}">How to prepare a repository</a></p>
${featured(data)}
<section><h2>Create my own</h2>${launchForm(data)}</section>
<section id="envhub-progress" hidden>
  <h2>Launch <span id="envhub-phase"></span></h2>
  <pre id="envhub-log"></pre>
</section>
<h2>Your servers</h2>
${
  data.servers.length === 0
    ? html`<p id="envhub-no-servers">No servers yet.</p>`
    : html`<table id="envhub-servers"><thead><tr><th>Name</th><th>Repository</th><th>Ref</th><th>Commit</th><th>State</th><th>Build</th><th></th></tr></thead>
<tbody>${data.servers.map(s => serverRow(data, s))}</tbody></table>`
}
${credits ? html`<footer id="envhub-credits">${credits.logoUrl ? html`<img src="${credits.logoUrl}" alt="" height="32">` : ''}${credits.url ? html`<a href="${credits.url}">${credits.text}</a>` : credits.text}</footer>` : ''}
<script type="module" src="${data.prefix}static/launch.js"></script>`;
  return layout({ title: 'Launch', prefix: data.prefix, body, xsrf: data.xsrf });
}
