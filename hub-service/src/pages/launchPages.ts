import {
  encodeMaterial,
  encodeMount,
  materialPath,
  type Material,
  type Mount,
  type SpecDifference,
  type ValidEnvironmentSpec
} from '@envhub/schema';
import type { Resources } from '../policy/siteConfig.js';
import { html, layout, type Html } from './html.js';

interface LaunchPageData {
  prefix: string;
  xsrf: string;
  spec: ValidEnvironmentSpec & { name: string };
  /** The `/v2/…` path and query of this launch, relative to the prefix. */
  launch: string;
  /** The home page with its form prefilled from this spec, for Edit (or Launch under a new name). */
  editUrl: string;
}

function capabilities(
  spec: ValidEnvironmentSpec & { name: string },
  resources: Resources
): Html[] {
  const items = [
    html`<li>
      Runs code from <code>${spec.repo}</code> at <code>${spec.ref}</code> in a
      server of yours named <strong>${spec.name}</strong>, with its own
      persistent home.
    </li>`,
    ...(spec.materials ?? []).map(
      m =>
        html`<li class="envhub-material">
          Pulls
          <code>${m.repo}</code>
          (${m.ref ? html`branch <code>${m.ref}</code>` : 'its default branch'})
          into <code>~/${materialPath(m)}</code> at every launch, merging with
          your changes as nbgitpuller does: new files and upstream changes come
          in, and where both changed the same lines, yours are kept.
        </li>`
    ),
    html`<li>
      Resources: ${resources.memory} memory, ${resources.cpus} CPU; stopped
      after ${Math.round(resources.idleTimeout / 60)} idle minutes, at most
      ${Math.round(resources.maxAge / 3600)} hours after it starts.
    </li>`
  ];
  const { users = [], groups = [] } = spec.collaborators ?? {};
  if (users.length + groups.length > 0) {
    items.push(
      html`<li>
        Gives access to your server to
        ${[...users.map(u => `user ${u}`), ...groups.map(g => `group ${g}`)].join(', ')}.
      </li>`
    );
  }
  for (const m of spec.mounts ?? []) {
    items.push(
      m.readOnly
        ? html`<li>
            Mounts volume <code>${m.source}</code> at <code>${m.target}</code>,
            read-only: code from this repository can read everything on it.
          </li>`
        : html`<li>
            <strong
              >Mounts volume <code>${m.source}</code> at
              <code>${m.target}</code>, read-write: code from this repository
              can read, change and delete everything on it.</strong
            >
          </li>`
    );
  }
  if (spec.public)
    items.push(
      html`<li>
        <strong
          >Makes the server public: anyone with its public link, signed in or
          not, can run a throw-away copy of it and read its mounted data
          (read-only).</strong
        >
        Nothing a visitor does is kept or reaches your home or volumes.
      </li>`
    );
  if (spec.credentials)
    items.push(
      html`<li>
        <strong
          >Passes your credentials into the server: with credentials, the code
          can take any action on behalf of the user in any service that uses the
          same authentication.</strong
        >
        ${
          spec.credentials === 'env'
            ? html`<strong
                >They are also set as environment variables (<code
                  >ENVHUB_CREDENTIAL_&lt;HOST&gt;_USERNAME</code
                >
                and <code>ENVHUB_CREDENTIAL_&lt;HOST&gt;_TOKEN</code>): every
                process in the server can read them, and they are not refreshed
                — a token you replace or remove stays in them until the server
                restarts.</strong
              >`
            : ''
        }
      </li>`
    );
  if (spec.urlpath)
    items.push(html`<li>Opens <code>${spec.urlpath}</code>.</li>`);
  return items;
}

/** Shown when a launch link came from outside this hub: what the spec will do, before it does it. */
export function confirmPage(
  data: LaunchPageData & { resources: Resources }
): string {
  const body = html`<h1>Launch this environment?</h1>
    <p>
      You followed a launch link from outside this hub. This is what it will do:
    </p>
    <ul id="envhub-capabilities">
      ${capabilities(data.spec, data.resources)}
    </ul>
    <form
      method="post"
      action="${data.prefix}${data.launch}"
      class="envhub-confirm"
    >
      <input type="hidden" name="_xsrf" value="${data.xsrf}" />
      <label class="inline"
        ><input type="checkbox" name="remember" value="1" /> Don't ask again for
        this link</label
      >
      <div class="actions">
        <button type="submit" id="envhub-proceed">Proceed</button>
        <a class="button" id="envhub-edit" href="${data.editUrl}">Edit</a>
        <a class="button secondary" id="envhub-cancel" href="${data.prefix}"
          >Cancel</a
        >
      </div>
    </form>`;
  return layout({
    title: 'Confirm launch',
    prefix: data.prefix,
    body,
    xsrf: data.xsrf
  });
}

/** Lists of objects as links write them, one per line; any other value as JSON. */
function shownValue(field: string, value: unknown): Html | string {
  const lines = (list: string[]) =>
    list.length === 0
      ? 'none'
      : html`${list.map((line, i) => html`${i > 0 ? html`<br />` : ''}<code>${line}</code>`)}`;
  if (field === 'materials' && Array.isArray(value))
    return lines((value as Material[]).map(encodeMaterial));
  if (field === 'mounts' && Array.isArray(value))
    return lines((value as Mount[]).map(encodeMount));
  return JSON.stringify(value ?? null);
}

/**
 * Shown when a launch names an existing server with another environment. `changes` may include
 * `materials`, which a launch pulls without a restart, beside the changes that need one.
 */
export function differsPage(
  data: LaunchPageData & { changes: SpecDifference[] }
): string {
  const rows = data.changes.map(
    c =>
      html`<tr data-field="${c.field}">
        <td><code>${c.field}</code></td>
        <td>${shownValue(c.field, c.from)}</td>
        <td>${shownValue(c.field, c.to)}</td>
      </tr>`
  );
  const materials = data.changes.some(c => c.field === 'materials');
  const body = html`<h1>Server "${data.spec.name}" runs another environment</h1>
    <table id="envhub-differences">
      <thead>
        <tr>
          <th>Field</th>
          <th>Now</th>
          <th>Requested</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    <form
      method="post"
      action="${data.prefix}${data.launch}${data.launch.includes('?') ? '&' : '?'}update=1"
      class="envhub-confirm"
    >
      <input type="hidden" name="_xsrf" value="${data.xsrf}" />
      <div class="actions">
        <button type="submit" id="envhub-update">Update and restart</button>
        <a class="button" id="envhub-new-name" href="${data.editUrl}"
          >Launch under a new name</a
        >
        <a class="button secondary" id="envhub-cancel" href="${data.prefix}"
          >Cancel</a
        >
      </div>
    </form>
    <p>Updating restarts the server: running kernels stop; its home is kept.</p>
    ${materials ? html`<p id="envhub-materials-note">Course materials are pulled into the home at every launch, merging with the changes made there; they need no restart of their own.</p>` : ''}`;
  return layout({
    title: 'Environment differs',
    prefix: data.prefix,
    body,
    xsrf: data.xsrf
  });
}

/** The launch itself: the live build log, then JupyterLab. */
export function launchPage(data: {
  prefix: string;
  xsrf: string;
  buildUrl: string;
  spec: ValidEnvironmentSpec & { name: string };
}): string {
  const body = html`<h1>Launching ${data.spec.name}</h1>
    <p><code>${data.spec.repo}</code> at <code>${data.spec.ref}</code></p>
    <section id="envhub-progress" data-build-url="${data.buildUrl}">
      <h2>Launch <span id="envhub-phase"></span></h2>
      <pre id="envhub-log"></pre>
    </section>
    <script type="module" src="${data.prefix}static/launch.js"></script>`;
  return layout({
    title: `Launching ${data.spec.name}`,
    prefix: data.prefix,
    body,
    xsrf: data.xsrf
  });
}
