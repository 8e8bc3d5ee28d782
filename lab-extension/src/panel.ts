import { Notification } from '@jupyterlab/apputils';
import { LabIcon, refreshIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { formatDuration, timeLeft } from './duration';
import { forgeLinks } from './forge';
import { copyItem } from './shareDialog';
import {
  CommandIDs,
  IEnvhubBuild,
  IEnvhubModel,
  IEnvhubServer
} from './tokens';

/** DOM id of the panel, stable for tests and the layout restorer. */
export const PANEL_ID = 'envhub-environment-panel';

/** How often the panel asks the service again while it is shown, and updates the time left. */
export const REFRESH_MS = 30_000;

/** Said under mounts that changed since the server started. */
export const MOUNTS_PENDING_NOTE =
  'The mounts changed: they are applied when this server restarts.';

/** CSS classes of the panel. */
export namespace CSS {
  export const panel = 'jp-envhub-panel';
  export const header = 'jp-envhub-header';
  export const title = 'jp-envhub-title';
  export const refresh = 'jp-envhub-refresh';
  export const body = 'jp-envhub-body';
  export const message = 'jp-envhub-message';
  export const error = 'jp-envhub-error';
  export const section = 'jp-envhub-section';
  export const details = 'jp-envhub-details';
  export const server = 'jp-envhub-server';
  export const state = 'jp-envhub-state';
  export const repo = 'jp-envhub-repo';
  export const ref = 'jp-envhub-ref';
  export const commit = 'jp-envhub-commit';
  export const image = 'jp-envhub-image';
  export const built = 'jp-envhub-built';
  export const created = 'jp-envhub-created';
  export const resources = 'jp-envhub-resources';
  export const stops = 'jp-envhub-stops';
  export const mounts = 'jp-envhub-mounts';
  export const note = 'jp-envhub-note';
  export const collaborators = 'jp-envhub-collaborators';
  export const collaborator = 'jp-envhub-collaborator';
  export const remove = 'jp-envhub-remove';
  export const addForm = 'jp-envhub-add-collaborator';
  export const share = 'jp-envhub-share-links';
  export const actions = 'jp-envhub-actions';
}

/** The sidebar icon: a box, for "environment". */
export const envhubIcon = new LabIcon({
  name: 'envhub:environment',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<path class="jp-icon3" fill="#616161" d="M12 2 3 7v10l9 5 9-5V7l-9-5zm0 2.3L18.6 8 12 11.7 5.4 8 12 4.3zM5 9.7l6 3.4v6.6l-6-3.3V9.7zm8 10v-6.6l6-3.4v6.7l-6 3.3z"/>' +
    '</svg>'
});

/**
 * The left-sidebar panel: where this server's environment comes from, who shares it,
 * its resources and time left, its launch link and badge, and the envhub actions.
 */
export class EnvhubPanel extends Widget {
  /**
   * @param model the envhub model to show.
   * @param commands runs the envhub commands behind the action buttons.
   */
  constructor(model: IEnvhubModel, commands: CommandRegistry) {
    super();
    this._model = model;
    this._commands = commands;
    this.id = PANEL_ID;
    this.addClass(CSS.panel);
    this.title.icon = envhubIcon;
    this.title.caption = 'envhub environment';

    const header = document.createElement('div');
    header.className = CSS.header;
    const title = document.createElement('h2');
    title.className = CSS.title;
    title.textContent = 'Environment';
    this._refreshButton = button('', 'Reload from envhub', () => {
      void this._model.refresh();
    });
    this._refreshButton.className = `${CSS.refresh} jp-Button jp-mod-minimal jp-mod-styled`;
    this._refreshButton.appendChild(refreshIcon.element({ tag: 'span' }));
    header.append(title, this._refreshButton);

    this._body = document.createElement('div');
    this._body.className = CSS.body;
    this.node.append(header, this._body);
    this._addForm = this._createAddForm();

    model.changed.connect(() => this.update(), this);
    this._render();
    this._timer = window.setInterval(() => this._tick(), REFRESH_MS);
  }

  /** Dispose of the panel and stop listening to the model. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    window.clearInterval(this._timer);
    Signal.clearData(this);
    super.dispose();
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    this._render();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._tick();
  }

  /** Ask again while shown (the idle stop moves with activity); update the time left. */
  private _tick(): void {
    if (this.isVisible && this._model.state.status === 'ready') {
      void this._model.refresh();
    }
    this._updateStops();
  }

  private _render(): void {
    const { status, server, build, error, reason } = this._model.state;
    this._refreshButton.hidden = status === 'unavailable';
    this._refreshButton.disabled = status === 'loading';

    // Reloads that change nothing leave the DOM alone: no flicker, no lost focus.
    const key = JSON.stringify({
      status: status === 'loading' ? 'ready' : status,
      server,
      build,
      error,
      reason
    });
    if (key === this._renderedKey) {
      return;
    }
    this._renderedKey = key;

    const children: HTMLElement[] = [];
    if (status === 'unavailable') {
      children.push(paragraph(CSS.message, reason));
    } else {
      if (status === 'error' && error) {
        const box = paragraph(CSS.error, error.message);
        box.setAttribute('role', 'alert');
        children.push(box);
      }
      if (server) {
        children.push(
          details(server, build),
          this._resources(server),
          this._mounts(server),
          this._collaborators(server),
          this._share(server),
          this._actions(server)
        );
      } else if (status === 'loading') {
        children.push(paragraph(CSS.message, 'Loading the environment…'));
      }
    }
    this._body.replaceChildren(...children);
    this._updateStops();
  }

  private _resources(server: IEnvhubServer): HTMLElement {
    const { memory, cpus, idleTimeout, maxAge } = server.resources;
    const list = definitionList(CSS.resources);
    add(list, 'Memory', text(memory ?? 'site default'));
    add(list, 'CPUs', text(cpus === undefined ? 'site default' : String(cpus)));
    add(
      list,
      'Idle timeout',
      text(idleTimeout ? formatDuration(idleTimeout) : 'none')
    );
    add(list, 'Maximum age', text(maxAge ? formatDuration(maxAge) : 'none'));
    for (const [kind, label] of [
      ['idle', 'Stops if idle'],
      ['maxAge', 'Stops at maximum age']
    ] as const) {
      const at = server.stopsAt[kind];
      if (at) {
        const time = document.createElement('time');
        time.className = CSS.stops;
        time.dataset.stop = kind;
        time.dateTime = at;
        time.title = new Date(at).toLocaleString();
        add(list, label, time);
      }
    }
    return section('Resources', list);
  }

  private _updateStops(): void {
    this._body
      .querySelectorAll<HTMLTimeElement>(`time.${CSS.stops}`)
      .forEach(time => {
        time.textContent = timeLeft(time.dateTime);
      });
  }

  private _mounts(server: IEnvhubServer): HTMLElement {
    const element = mounts(server);
    if (server.mountsPending) {
      const note = paragraph(CSS.note, MOUNTS_PENDING_NOTE);
      note.dataset.pending = 'true';
      element.appendChild(note);
    }
    if (server.canManage) {
      const ids = server.mountsPending
        ? [CommandIDs.mounts, CommandIDs.restart]
        : [CommandIDs.mounts];
      element.appendChild(this._buttons(ids));
    } else {
      element.appendChild(
        paragraph(CSS.note, 'Only the owner can change the mounts.')
      );
    }
    return element;
  }

  private _collaborators(server: IEnvhubServer): HTMLElement {
    const { users = [], groups = [] } = server.spec.collaborators ?? {};
    const list = document.createElement('ul');
    list.className = CSS.collaborators;
    const entries = [
      ...users.map(name => ({ kind: 'user' as const, name })),
      ...groups.map(name => ({ kind: 'group' as const, name }))
    ];
    for (const entry of entries) {
      const item = document.createElement('li');
      item.className = CSS.collaborator;
      item.dataset.kind = entry.kind;
      item.dataset.name = entry.name;
      const label = document.createElement('span');
      label.textContent =
        entry.kind === 'group' ? `${entry.name} (group)` : entry.name;
      item.appendChild(label);
      if (server.canManage) {
        const remove = button(
          'Remove',
          `Stop sharing this server with ${entry.name}`,
          () => {
            void this._changeCollaborators(
              entry.kind === 'user'
                ? users.filter(u => u !== entry.name)
                : users,
              entry.kind === 'group'
                ? groups.filter(g => g !== entry.name)
                : groups
            );
          }
        );
        remove.className = `${CSS.remove} jp-Button jp-mod-styled jp-mod-minimal`;
        item.appendChild(remove);
      }
      list.appendChild(item);
    }
    const children: HTMLElement[] = [
      entries.length > 0
        ? list
        : paragraph(CSS.message, 'Only you use this server.')
    ];
    if (server.canManage) {
      children.push(this._addForm);
    } else {
      children.push(
        paragraph(CSS.note, 'Only the owner can change who shares this server.')
      );
    }
    return section('Collaborators', ...children);
  }

  private _createAddForm(): HTMLFormElement {
    const form = document.createElement('form');
    form.className = CSS.addForm;
    const kind = document.createElement('select');
    kind.name = 'kind';
    kind.className = 'jp-mod-styled';
    kind.setAttribute('aria-label', 'User or group');
    for (const value of ['user', 'group']) {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = value === 'user' ? 'User' : 'Group';
      kind.appendChild(option);
    }
    const name = document.createElement('input');
    name.name = 'name';
    name.className = 'jp-mod-styled';
    name.placeholder = 'Hub user or group name';
    name.setAttribute('aria-label', 'Name of the user or group to add');
    const submit = document.createElement('button');
    submit.type = 'submit';
    submit.className = 'jp-Button jp-mod-styled jp-mod-accept';
    submit.textContent = 'Add';
    form.append(kind, name, submit);
    form.addEventListener('submit', event => {
      event.preventDefault();
      const server = this._model.state.server;
      const value = name.value.trim();
      if (!server || !value) {
        return;
      }
      const { users = [], groups = [] } = server.spec.collaborators ?? {};
      const isUser = kind.value === 'user';
      void this._changeCollaborators(
        isUser && !users.includes(value) ? [...users, value] : users,
        !isUser && !groups.includes(value) ? [...groups, value] : groups
      ).then(ok => {
        if (ok) {
          name.value = '';
        }
      });
    });
    return form;
  }

  private async _changeCollaborators(
    users: string[],
    groups: string[]
  ): Promise<boolean> {
    const controls = this._body.querySelectorAll<HTMLButtonElement>(
      `.${CSS.remove}, .${CSS.addForm} button`
    );
    controls.forEach(control => (control.disabled = true));
    try {
      await this._model.setCollaborators(users, groups);
      return true;
    } catch (reason) {
      Notification.error(
        `envhub: ${reason instanceof Error ? reason.message : String(reason)}`,
        { autoClose: 8000 }
      );
      return false;
    } finally {
      controls.forEach(control => (control.disabled = false));
    }
  }

  private _share(server: IEnvhubServer): HTMLElement {
    const snippets = document.createElement('details');
    const summary = document.createElement('summary');
    summary.textContent = 'Badge snippets';
    snippets.append(
      summary,
      copyItem('Markdown', server.snippets.markdown, 'markdown'),
      copyItem('reStructuredText', server.snippets.rst, 'rst'),
      copyItem('HTML', server.snippets.html, 'html')
    );
    const container = section(
      'Share',
      copyItem('Launch link', server.launchUrl, 'link'),
      snippets
    );
    container.classList.add(CSS.share);
    return container;
  }

  private _actions(server: IEnvhubServer): HTMLElement {
    const ids = [CommandIDs.share, CommandIDs.fork, CommandIDs.buildLog];
    if (server.canManage) {
      ids.push(CommandIDs.relaunch);
    }
    return this._buttons(ids);
  }

  /** A bar of buttons running `ids`. */
  private _buttons(ids: string[]): HTMLElement {
    const bar = document.createElement('div');
    bar.className = CSS.actions;
    for (const id of ids) {
      const action = button(
        this._commands.label(id),
        this._commands.caption(id),
        () => void this._commands.execute(id)
      );
      action.dataset.command = id;
      action.disabled = !this._commands.isEnabled(id);
      bar.appendChild(action);
    }
    return bar;
  }

  private readonly _model: IEnvhubModel;
  private readonly _commands: CommandRegistry;
  private readonly _body: HTMLDivElement;
  private readonly _refreshButton: HTMLButtonElement;
  private readonly _addForm: HTMLFormElement;
  private readonly _timer: number;
  private _renderedKey = '';
}

/**
 * The mounts of a server: mount path, volume and whether it is read-only.
 */
export function mounts(server: IEnvhubServer): HTMLElement {
  const list = server.mounts;
  const children: HTMLElement[] = [];
  if (list.length === 0) {
    children.push(paragraph(CSS.message, 'No volumes are mounted.'));
  } else {
    const items = document.createElement('ul');
    items.className = CSS.mounts;
    for (const mount of list) {
      const item = document.createElement('li');
      item.dataset.source = mount.source;
      item.append(
        code('', mount.target),
        ` ← ${mount.source}${mount.readOnly ? ' (read-only)' : ''}`
      );
      if (mount.problem) {
        item.appendChild(
          paragraph(
            CSS.error,
            `Keeps the server from starting: ${mount.problem}`
          )
        );
      }
      items.appendChild(item);
    }
    children.push(items);
  }
  return section('Mounts', ...children);
}

function button(
  label: string,
  title: string,
  onClick: () => void
): HTMLButtonElement {
  const element = document.createElement('button');
  element.type = 'button';
  element.className = 'jp-Button jp-mod-styled jp-mod-reject';
  element.textContent = label;
  element.title = title;
  element.setAttribute('aria-label', title || label);
  element.addEventListener('click', onClick);
  return element;
}

function section(title: string, ...children: HTMLElement[]): HTMLElement {
  const element = document.createElement('section');
  element.className = CSS.section;
  element.dataset.section = title.toLowerCase().replace(/\s+/g, '-');
  const heading = document.createElement('h3');
  heading.textContent = title;
  element.append(heading, ...children);
  return element;
}

function paragraph(className: string, content: string): HTMLElement {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = content;
  return p;
}

function text(content: string, className = ''): HTMLElement {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = content;
  return span;
}

function code(className: string, content: string): HTMLElement {
  const el = document.createElement('code');
  el.className = className;
  el.textContent = content;
  el.title = content;
  return el;
}

/** A link opening in a new tab; only web URLs, so a stored URL never runs script on click. */
function link(
  className: string,
  content: string,
  href: string | null
): HTMLElement {
  const a = document.createElement('a');
  a.className = className;
  a.textContent = content;
  a.title = href ?? content;
  if (href && /^https?:\/\//i.test(href)) {
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
  return a;
}

function date(className: string, iso: string): HTMLElement {
  const time = document.createElement('time');
  time.className = className;
  time.dateTime = iso;
  const parsed = new Date(iso);
  time.textContent = isNaN(parsed.getTime()) ? iso : parsed.toLocaleString();
  time.title = iso;
  return time;
}

function definitionList(className: string): HTMLDListElement {
  const list = document.createElement('dl');
  list.className = `${CSS.details} ${className}`;
  return list;
}

function add(list: HTMLDListElement, label: string, value: HTMLElement): void {
  const dt = document.createElement('dt');
  dt.textContent = label;
  const dd = document.createElement('dd');
  dd.appendChild(value);
  list.append(dt, dd);
}

function details(
  server: IEnvhubServer,
  build: IEnvhubBuild | null
): HTMLElement {
  const list = definitionList('');
  add(
    list,
    'Server',
    text(
      server.displayName && server.displayName !== server.name
        ? `${server.displayName} (${server.name})`
        : server.name,
      CSS.server
    )
  );
  add(list, 'State', text(server.state, CSS.state));
  const forge = forgeLinks(server.repoUrl);
  add(
    list,
    'Repository',
    link(CSS.repo, server.repoUrl, forge?.repo ?? server.repoUrl)
  );
  const ref = forge
    ? link(CSS.ref, server.ref, forge.tree(server.ref))
    : code(CSS.ref, server.ref);
  add(list, 'Ref', ref);
  add(
    list,
    'Commit',
    forge
      ? link(CSS.commit, server.commit, forge.commit(server.commit))
      : code(CSS.commit, server.commit)
  );
  add(list, 'Image', code(CSS.image, server.image));
  if (build?.finishedAt) {
    add(list, 'Built', date(CSS.built, build.finishedAt));
  }
  add(list, 'Created', date(CSS.created, server.createdAt));
  return list;
}
