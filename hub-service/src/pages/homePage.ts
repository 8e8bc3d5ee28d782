import {
  choiceOf,
  choicesOf,
  credentialBodySchema,
  encodeMount,
  encodeScalar,
  environmentSchema,
  gitPullPath,
  launchParameters,
  launchPath,
  listItemCodecs,
  type EnvironmentSpec,
  type VolumeMember,
  type VolumeView,
  type ClassView,
  type CredentialView,
  type SessionView
} from '@envhub/schema';
import type { ServerView } from '../launches/serverView.js';
import type { SiteConfig } from '../policy/siteConfig.js';
import { classesSection } from './classPages.js';
import { html, layout, type Html } from './html.js';

export interface HomePageData {
  prefix: string;
  xsrf: string;
  user: string;
  site: SiteConfig;
  servers: ServerView[];
  /** The volumes the user owns or is a member of. */
  volumes: VolumeView[];
  /** The classes the user teaches or takes. */
  classes: ClassView[];
  /** Visitors' temporary sessions of the user's public servers (every one for an admin). */
  sessions: SessionView[];
  /** The user's stored credentials, without their secrets. */
  credentials: CredentialView[];
  /** Hosts for which the user's single sign-on is their credential (the admin's list). */
  singleSignOnHosts: string[];
  /** Whether the user's launches are left out of the catalog's counts. */
  hideLaunches: boolean;
  /** Values to prefill the form with (launch parameter names, plus repo and ref), lists repeated. */
  prefill: Record<string, string | string[]>;
}

type Param = (typeof launchParameters)[number];

/** What public access means, said under the form's `public` field and before Make public. */
export const PUBLIC_ACCESS_MEANS =
  'Anyone with the public link, signed in or not, can run the code and read the mounted data. Each visitor gets a throw-away copy of the server, with the mounts read-only for them; nothing they do is kept or reaches your home or volumes.';

/** What passing credentials means, in the seed's words: said under the form's `credentials` field. */
export const CREDENTIALS_MEAN =
  'With credentials, the code can take any action on behalf of the user in any service that uses the same authentication. Your stored credentials (see Your credentials on envhub\'s page) are passed into the server as /run/envhub/credentials.json, for git and your code, and with "As a file and environment variables" also as ENVHUB_CREDENTIAL_<HOST>_USERNAME and ENVHUB_CREDENTIAL_<HOST>_TOKEN, which every process in the server can read and which are not refreshed; off by default.';

/** What the form says of a field beyond its schema description. */
const FIELD_NOTES: Record<string, string> = {
  public: PUBLIC_ACCESS_MEANS,
  credentials: CREDENTIALS_MEAN
};

/** A field's help: its schema description, then the form's note on it. */
const help = (param: Param): string =>
  FIELD_NOTES[param.name]
    ? `${param.node.description}. ${FIELD_NOTES[param.name]}`
    : (param.node.description ?? '');

const values = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** One form input for one launch parameter, from its schema node; `hint` fills an empty field's placeholder. */
function input(
  param: Param,
  given: string | string[] | undefined,
  hint?: string
): Html {
  const { name, node } = param;
  const id = `envhub-${name}`;
  const value = values(given)[0];
  if (node.type === 'array' && node.items?.type === 'object') {
    return html`<label
      >${node.title}
      <textarea name="${name}" id="${id}" rows="2" placeholder="${hint ?? ''}">
${values(given).join('\n')}</textarea>
      <small
        >${node.description}. One per line:
        ${listItemCodecs[name]?.form}.</small
      ></label
    >`;
  }
  const choices = choicesOf(node);
  if (choices) {
    // The default is sent as nothing, as an unchecked box is, so that links leave it out.
    const chosen =
      (value === undefined ? undefined : choiceOf(node, value)?.const) ??
      node.default;
    return html`<label
      >${node.title}
      <select name="${name}" id="${id}">
        ${choices.map(
          choice =>
            html`<option
              value="${choice.const === node.default ? '' : encodeScalar(choice.const)}"
              ${choice.const === chosen ? html`selected` : ''}
            >
              ${choice.title}
            </option>`
        )}
      </select>
      <small>${help(param)}</small></label
    >`;
  }
  if (node.type === 'boolean') {
    return html`<label class="inline"
      ><input
        type="checkbox"
        name="${name}"
        id="${id}"
        value="1"
        ${value === '1' ? html`checked` : ''}
      />
      ${node.title} <small>${help(param)}</small></label
    >`;
  }
  const list = node.type === 'array';
  return html`<label
    >${node.title}${list ? ' (comma-separated)' : ''}
    <input
      name="${name}"
      id="${id}"
      value="${list ? values(given).join(', ') : (value ?? '')}"
      placeholder="${hint ?? ''}"
      ${node.type === 'number' || node.type === 'integer' ? html`inputmode="decimal"` : ''}
    />
    <small>${help(param)}</small></label
  >`;
}

const basic = new Set(['name', 'displayName', 'urlpath', 'materials']);

/** The launch form, rendered from the environment schema: repository and ref, then every launch parameter. */
function launchForm(data: HomePageData): Html {
  const params = launchParameters.filter(
    p => !['labpath', 'filepath'].includes(p.name)
  );
  const prefill = data.prefill;
  const { defaults, maxima } = data.site.resources;
  const placeholders: Record<string, string> = {
    materials:
      'https://forge.example.org/course/materials.git#ref=main&path=week1',
    mount: 'class-data:/home/jovyan/class:ro',
    memory: `${defaults.memory} (this hub's default; at most ${maxima.memory})`,
    cpus: `${defaults.cpus} (default; at most ${maxima.cpus})`,
    idleTimeout: `${defaults.idleTimeout} (default; at most ${maxima.idleTimeout})`,
    maxAge: `${defaults.maxAge} (default; at most ${maxima.maxAge})`
  };
  return html`<form id="envhub-launch-form">
    <label
      >Repository URL
      <input
        name="repo"
        id="envhub-repo"
        required
        value="${values(prefill.repo)[0] ?? ''}"
        placeholder="https://forge.example.org/group/project.git"
      />
      <small
        >A git repository in the Binder format (requirements.txt,
        environment.yml, apt.txt, postBuild, …)</small
      ></label
    >
    <label
      >Git ref
      <input
        name="ref"
        id="envhub-ref"
        value="${values(prefill.ref)[0] ?? 'HEAD'}"
      /><small
        >A branch, tag or commit; HEAD means the default branch</small
      ></label
    >
    ${params.filter(p => basic.has(p.name)).map(p => input(p, prefill[p.name]))}
    <details>
      <summary>Resources, collaborators and access</summary>
      ${params.filter(p => !basic.has(p.name)).map(p => input(p, prefill[p.name], placeholders[p.name]))}
      <ul class="envhub-security" id="envhub-security-notes">
        <li data-when="user group" hidden>
          Collaborators get full access to the server, as you have: they can run
          code, and read and change its files.
        </li>
        <li data-when="mount" hidden>
          Mounted volumes are shared with everyone the volume's owner lets in:
          what the server writes there, they can read, and a read-write member
          can change or delete your files.
        </li>
        <li data-when="memory cpus idleTimeout maxAge" hidden>
          Resources above this hub's maxima are refused; envhub stops the server
          after the idle timeout or maximum age, keeping its home.
        </li>
        <li>
          Everything in the repository runs with your permissions inside your
          server; launch only repositories you trust.
        </li>
      </ul>
    </details>
    <div class="actions">
      <button type="submit" id="envhub-launch">Launch</button>
      ${data.site.otherHubs.map(hub => html`<button type="button" class="secondary" data-other-hub="${hub.url}">Launch on ${hub.name}</button>`)}
      <button
        type="button"
        class="secondary"
        data-other-hub="https://mybinder.org/"
        data-binder-only="1"
      >
        Launch on mybinder.org
      </button>
    </div>
    <div class="actions" id="envhub-class-link-box">
      <label
        >Class link
        <input
          readonly
          id="envhub-class-link"
          placeholder="Fill in the repository to get the link"
        />
        <small id="envhub-class-link-note"
          >The launch link of what this form holds, launching nothing: whoever
          follows it gets a persistent server of their own with this
          environment, materials, mounts and resources, opening the path above
          (one link per session, each with its notebook). It is checked when
          followed.</small
        ></label
      >
      <button type="button" class="secondary" id="envhub-copy-class-link">
        Copy class link
      </button>
    </div>
  </form>`;
}

function featured(data: HomePageData): Html {
  if (data.site.featured.length === 0) return html``;
  return html`<section id="envhub-featured">
    <h2>Choose a preconfigured server</h2>
    <ul>
      ${data.site.featured.map(
        f =>
          html`<li>
            <a
              href="${data.prefix}${launchPath({ repo: f.repo, ref: f.ref ?? 'HEAD' } as EnvironmentSpec)}"
              >${f.title}</a
            >${f.description ? html` — ${f.description}` : ''}
          </li>`
      )}
    </ul>
  </section>`;
}

/**
 * The mybinder.org link of a spec it can launch: a repository, a ref, a path to open and at most
 * one material, pulled by nbgitpuller there (a Binder + nbgitpuller link); null for any other spec.
 */
function binderLink(spec: EnvironmentSpec): string | null {
  const materials = spec.materials ?? [];
  const envhubOnly = launchPath({
    ...spec,
    urlpath: undefined,
    name: undefined,
    displayName: undefined,
    materials: undefined
  });
  if (envhubOnly.includes('?') || materials.length > 1) return null;
  const urlpath =
    materials.length === 1
      ? gitPullPath(materials[0], spec.urlpath)
      : spec.urlpath;
  return `https://mybinder.org/${launchPath({ repo: spec.repo, ref: spec.ref, urlpath })}`;
}

function serverRow(data: HomePageData, s: ServerView): Html {
  // Start and relaunch stream a launch of the server's whole spec (its collaborators included).
  const action = (name: string, label: string) =>
    html`<button
      type="button"
      data-action="${name}"
      data-owner="${s.owner}"
      data-name="${s.name}"
      data-launch="${launchPath(s.spec)}"
    >
      ${label}
    </button>`;
  const { launchUrl, snippets } = s;
  const binder = binderLink({ ...s.spec, repo: s.repoUrl, ref: s.ref });
  // Making a server public asks first, saying what it means; stopping public access does not.
  const publicAction = (name: 'make' | 'stop', label: string) =>
    html`<button
      type="button"
      data-public-action="${name}"
      data-owner="${s.owner}"
      data-name="${s.name}"
      ${name === 'make' ? html`data-confirm="Make ${s.displayName} public? ${PUBLIC_ACCESS_MEANS}"` : ''}
    >
      ${label}
    </button>`;
  return html`<tr data-server="${s.name}">
    <td>${s.displayName}${publicMark(s)}</td>
    <td><code>${s.repoUrl}</code></td>
    <td>${s.ref}</td>
    <td><code>${s.commit.slice(0, 10)}</code></td>
    <td class="state">${s.state}</td>
    <td>
      ${s.buildId ? html`<a class="build-log" href="${data.prefix}builds/${s.buildId}">build log</a>` : ''}
    </td>
    <td class="actions">
      ${s.state === 'running' && s.url ? html`<a class="button" href="${s.url}">open</a>${action('stop', 'stop')}` : action('start', 'start')}${s.mountsPending ? action('restart', 'restart (apply mounts)') : ''}${action('relaunch', 'relaunch')}${s.canManage ? (s.public ? publicAction('stop', 'stop public access') : publicAction('make', 'make public')) : ''}${action('delete', 'delete')}
      <details
        class="mounts"
        ${s.mounts.some(m => m.problem) ? html`open` : ''}
      >
        <summary>mounts (${String(s.mounts.length)})</summary>
        ${s.mounts.filter(m => m.problem).map(m => html`<p class="problem">Mount of ${m.source} keeps the server from starting: ${m.problem}</p>`)}
        <form
          class="envhub-mounts"
          data-owner="${s.owner}"
          data-name="${s.name}"
        >
          <label
            >Mounts
            <textarea
              name="mounts"
              rows="3"
              placeholder="course-data:/mnt/course:ro"
            >
${(s.spec.mounts ?? []).map(encodeMount).join('\n')}</textarea>
            <small
              >One per line: volume:/mnt/path, or volume:/mnt/path:ro for
              read-only. Applied when the server next starts.</small
            ></label
          >
          <button type="submit">Save mounts</button>
        </form>
      </details>
      <details class="share">
        <summary>share</summary>
        <label
          >Launch link <input readonly class="launch-link" value="${launchUrl}"
        /></label>
        <label>Markdown <input readonly value="${snippets.markdown}" /></label>
        <label
          >reStructuredText
          <textarea readonly rows="3">${snippets.rst}</textarea>
        </label>
        <label>HTML <input readonly value="${snippets.html}" /></label>
        ${
          s.public
            ? html`<label
                  >Public link
                  <input readonly class="public-link" value="${s.public.url}"
                /></label>
                <label
                  >Public badge, Markdown
                  <input readonly value="${s.public.snippets.markdown}"
                /></label>
                <label
                  >Public badge, reStructuredText
                  <textarea readonly rows="3">
${s.public.snippets.rst}</textarea>
                </label>
                <label
                  >Public badge, HTML
                  <input readonly value="${s.public.snippets.html}"
                /></label>`
            : ''
        }
        ${data.site.otherHubs.map(hub => html`<a href="${hub.url.replace(/\/?$/, '/')}${launchPath(s.spec)}">launch on ${hub.name}</a> `)}
        ${binder ? html`<a href="${binder}">launch on mybinder.org</a>` : ''}
      </details>
    </td>
  </tr>`;
}

/** A public server's mark: its visitors now, and its public link. */
function publicMark(s: ServerView): Html | string {
  if (!s.public) return '';
  const { visitors, url } = s.public;
  return html` <span class="envhub-public" data-visitors="${String(visitors)}"
    ><strong title="${PUBLIC_ACCESS_MEANS}">Public</strong>
    · ${visitors === 1 ? '1 visitor' : `${visitors} visitors`} now ·
    <a class="public-link" href="${url}">public link</a></span
  >`;
}

const ACCESS = {
  owner: 'owner',
  write: 'read-write',
  read: 'read-only'
} as const;
const VOLUME_NAME = environmentSchema.properties.mounts.items.properties.source;

function memberList(members: VolumeView['members']): string {
  const named = (kind: string, list: VolumeMember[]) =>
    list.map(
      m => `${m.name}${kind} (${m.readOnly ? 'read-only' : 'read-write'})`
    );
  return (
    [...named('', members.users), ...named(', group', members.groups)].join(
      '; '
    ) || 'only the owner'
  );
}

function volumeRow(v: VolumeView): Html {
  const names = (list: VolumeMember[], readOnly: boolean) =>
    list
      .filter(m => m.readOnly === readOnly)
      .map(m => m.name)
      .join(', ');
  const field = (name: string, label: string, value: string) =>
    html`<label
      >${label}
      <input
        name="${name}"
        value="${value}"
        placeholder="comma-separated names"
    /></label>`;
  return html`<tr data-volume="${v.name}">
    <td>
      <code>${v.name}</code>${
        v.webdav
          ? html`<br /><small class="webdav"
                >WebDAV folder <code>${v.webdav}</code>, reached with each
                user's own credential</small
              >`
          : ''
      }
    </td>
    <td>${v.owner}</td>
    <td class="access">${v.access ? ACCESS[v.access] : 'none (admin)'}</td>
    <td class="members">${memberList(v.members)}</td>
    <td>${v.mountedBy.join(', ')}</td>
    <td class="actions">
      ${
        v.canManage
          ? html`<details class="members-editor">
                <summary>members</summary>
                <form class="envhub-members" data-volume="${v.name}">
                  ${field('users', 'Users, read-write', names(v.members.users, false))}
                  ${field('readOnlyUsers', 'Users, read-only', names(v.members.users, true))}
                  ${field('groups', 'Groups, read-write', names(v.members.groups, false))}
                  ${field('readOnlyGroups', 'Groups, read-only', names(v.members.groups, true))}
                  <button type="submit">Save members</button>
                </form>
              </details>
              <button
                type="button"
                data-volume-action="delete"
                data-volume="${v.name}"
              >
                delete
              </button>`
          : ''
      }
    </td>
  </tr>`;
}

/** Visitors' sessions now, each with *end* (shown only when there are some). */
function sessionsSection(sessions: SessionView[]): Html {
  if (sessions.length === 0) return html``;
  const addresses = sessions.some(s => s.client !== undefined);
  return html`<section id="envhub-sessions">
    <h2>Temporary sessions</h2>
    <table>
      <thead>
        <tr>
          <th>Public server</th>
          <th>Visitor</th>
          <th>Since</th>
          ${addresses ? html`<th>Address</th>` : ''}
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${sessions.map(
          s =>
            html`<tr data-session="${s.user}">
              <td>${s.owner}/${s.server}</td>
              <td><code>${s.user}</code></td>
              <td>${s.claimedAt ?? 'waiting in the warm pool'}</td>
              ${addresses ? html`<td>${s.client ?? ''}</td>` : ''}
              <td>
                <button type="button" data-end-session="${s.user}">end</button>
              </td>
            </tr>`
        )}
      </tbody>
    </table>
  </section>`;
}

/** Shared volumes: the user's and those shared with them, a form to create one, members and delete for owners. */
function volumesSection(data: HomePageData): Html {
  return html`<section id="envhub-volumes-section">
    <h2>Your volumes</h2>
    <p>
      A volume keeps data apart from any one server. Mount it with a launch's
      mounts (<code>volume:/mnt/data</code>, or
      <code>volume:/mnt/data:ro</code> for read-only), and let other users and
      groups mount it too, read-write or read-only. Changes to members apply
      when their servers next start. A volume can also be a folder on a WebDAV
      server (Nextcloud, ownCloud): each user's servers reach it with that
      user's own credential for its host, and so with their own rights there.
    </p>
    ${
      data.volumes.length === 0
        ? html`<p id="envhub-no-volumes">No volumes yet.</p>`
        : html`<table id="envhub-volumes">
            <thead>
              <tr>
                <th>Name</th>
                <th>Owner</th>
                <th>Your access</th>
                <th>Members</th>
                <th>Mounted by your servers</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${data.volumes.map(volumeRow)}
            </tbody>
          </table>`
    }
    <form id="envhub-volume-form" class="inline-form">
      <label
        >New volume
        <input name="name" required placeholder="course-data" /><small
          >${VOLUME_NAME.description}</small
        ></label
      >
      <label
        >WebDAV folder (optional)
        <input
          name="webdav"
          type="url"
          placeholder="https://cloud.example.org/remote.php/dav/files/you/Teaching/"
      /></label>
      <button type="submit">Create volume</button>
    </form>
  </section>`;
}

/** The user's credentials by host, each with *remove*, and a form to store one. */
function credentialsSection(
  credentials: CredentialView[],
  singleSignOnHosts: string[]
): Html {
  const fields = credentialBodySchema.properties;
  return html`<section id="envhub-credentials-section">
    <h2>Your credentials</h2>
    <p>
      A user name and a token or app password per host, kept encrypted and never
      shown again; envhub uses them on your behalf.
    </p>
    ${
      singleSignOnHosts.length > 0
        ? html`<p id="envhub-single-sign-on">
            Your sign-in to this hub is your credential for
            ${singleSignOnHosts.map(
              (host, i) => html`${i > 0 ? ', ' : ''}<code>${host}</code>`
            )}
            unless you store another one for that host here.
          </p>`
        : ''
    }
    ${
      credentials.length === 0
        ? html`<p id="envhub-no-credentials">No credentials yet.</p>`
        : html`<table id="envhub-credentials-table">
            <thead>
              <tr>
                <th>Host</th>
                <th>User name</th>
                <th>Stored</th>
                <th>Last used</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${credentials.map(
                c =>
                  html`<tr data-credential="${c.host}">
                    <td><code>${c.host}</code></td>
                    <td>${c.username}</td>
                    <td>${c.createdAt}</td>
                    <td>${c.lastUsedAt ?? 'never'}</td>
                    <td>
                      <button type="button" data-remove-credential="${c.host}">
                        remove
                      </button>
                    </td>
                  </tr>`
              )}
            </tbody>
          </table>`
    }
    <form id="envhub-credential-form" class="inline-form">
      <label
        >Host <input name="host" required placeholder="forge.example.org"
      /></label>
      <label
        >${fields.username.title}
        <input name="username" required autocomplete="off" /><small
          >${fields.username.description}</small
        ></label
      >
      <label
        >${fields.token.title}
        <input
          name="token"
          type="password"
          required
          autocomplete="new-password"
        /><small>${fields.token.description}</small></label
      >
      <button type="submit">Store credential</button>
    </form>
  </section>`;
}

/** The user's settings: whether their launches count in the catalog. */
function settingsSection(data: HomePageData): Html {
  return html`<section id="envhub-settings">
    <h2>Settings</h2>
    <form method="post" action="${data.prefix}settings">
      <input type="hidden" name="_xsrf" value="${data.xsrf}" />
      <label
        ><input
          type="checkbox"
          name="hide_launches"
          value="1"
          ${data.hideLaunches ? 'checked' : ''}
        />
        Leave my launches out of the
        <a href="${data.prefix}catalog">catalog</a>'s counts (past ones
        too)</label
      >
      <button type="submit">Save</button>
    </form>
  </section>`;
}

/** The signed-in user's start page: launch form, featured environments, their servers. */
export function homePage(data: HomePageData): string {
  const credits = data.site.credits;
  const body = html`<h1>Hello, ${data.user}</h1>
    <p>
      Launch a git repository in the Binder format as a persistent server of
      your own. <a href="${data.site.docsUrl}">How to prepare a repository</a>
    </p>
    ${featured(data)}
    <p id="envhub-catalog-link">
      Or pick from the <a href="${data.prefix}catalog">catalog</a> of what
      people here
      launch${
        data.site.otherHubs.length > 0
          ? ` and of ${data.site.otherHubs.map(h => h.name).join(', ')}`
          : ''
      }.
    </p>
    <section>
      <h2>Create my own</h2>
      ${launchForm(data)}
    </section>
    <section id="envhub-progress" hidden>
      <h2>Launch <span id="envhub-phase"></span></h2>
      <pre id="envhub-log"></pre>
    </section>
    <h2>Your servers</h2>
    ${
      data.servers.length === 0
        ? html`<p id="envhub-no-servers">No servers yet.</p>`
        : html`<table id="envhub-servers">
            <thead>
              <tr>
                <th>Name</th>
                <th>Repository</th>
                <th>Ref</th>
                <th>Commit</th>
                <th>State</th>
                <th>Build</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${data.servers.map(s => serverRow(data, s))}
            </tbody>
          </table>`
    }
    ${sessionsSection(data.sessions)} ${volumesSection(data)}
    ${credentialsSection(data.credentials, data.singleSignOnHosts)}
    ${classesSection(data.prefix, data.xsrf, data.classes)}
    ${settingsSection(data)}
    ${credits ? html`<footer id="envhub-credits">${credits.logoUrl ? html`<img src="${credits.logoUrl}" alt="" height="32" />` : ''}${credits.url ? html`<a href="${credits.url}">${credits.text}</a>` : credits.text}</footer>` : ''}
    <script type="module" src="${data.prefix}static/launch.js"></script>`;
  return layout({
    title: 'Launch',
    prefix: data.prefix,
    body,
    xsrf: data.xsrf
  });
}
