import { LabIcon, refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { IEnvhubModel, IEnvhubServer } from './tokens';

/** DOM id of the panel, stable for tests and the layout restorer. */
export const PANEL_ID = 'envhub-environment-panel';

/** CSS classes of the panel. */
export namespace CSS {
  export const panel = 'jp-envhub-panel';
  export const header = 'jp-envhub-header';
  export const title = 'jp-envhub-title';
  export const refresh = 'jp-envhub-refresh';
  export const body = 'jp-envhub-body';
  export const message = 'jp-envhub-message';
  export const error = 'jp-envhub-error';
  export const details = 'jp-envhub-details';
  export const server = 'jp-envhub-server';
  export const repo = 'jp-envhub-repo';
  export const ref = 'jp-envhub-ref';
  export const commit = 'jp-envhub-commit';
  export const image = 'jp-envhub-image';
  export const created = 'jp-envhub-created';
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
 * The left-sidebar panel showing where this server's environment comes from.
 */
export class EnvhubPanel extends Widget {
  /**
   * @param model the envhub model to show.
   */
  constructor(model: IEnvhubModel) {
    super();
    this._model = model;
    this.id = PANEL_ID;
    this.addClass(CSS.panel);
    this.title.icon = envhubIcon;
    this.title.caption = 'envhub environment';

    const header = document.createElement('div');
    header.className = CSS.header;
    const title = document.createElement('h2');
    title.className = CSS.title;
    title.textContent = 'Environment';
    this._refreshButton = document.createElement('button');
    this._refreshButton.type = 'button';
    this._refreshButton.className = `${CSS.refresh} jp-Button jp-mod-minimal jp-mod-styled`;
    this._refreshButton.title = 'Reload from envhub';
    this._refreshButton.setAttribute('aria-label', 'Reload from envhub');
    this._refreshButton.appendChild(refreshIcon.element({ tag: 'span' }));
    this._refreshButton.addEventListener('click', () => {
      void this._model.refresh();
    });
    header.append(title, this._refreshButton);

    this._body = document.createElement('div');
    this._body.className = CSS.body;
    this.node.append(header, this._body);

    model.changed.connect(() => this.update(), this);
    this._render();
  }

  /** Dispose of the panel and stop listening to the model. */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    Signal.clearData(this);
    super.dispose();
  }

  protected onUpdateRequest(msg: Message): void {
    super.onUpdateRequest(msg);
    this._render();
  }

  private _render(): void {
    const { status, server, error, reason } = this._model.state;
    const children: HTMLElement[] = [];
    this._refreshButton.hidden = status === 'unavailable';
    this._refreshButton.disabled = status === 'loading';

    if (status === 'unavailable') {
      children.push(paragraph(CSS.message, reason));
    } else {
      if (status === 'error' && error) {
        const box = paragraph(CSS.error, error.message);
        box.setAttribute('role', 'alert');
        children.push(box);
      }
      if (server) {
        children.push(details(server));
      } else if (status === 'loading') {
        children.push(paragraph(CSS.message, 'Loading the environment…'));
      }
    }
    this._body.replaceChildren(...children);
  }

  private readonly _model: IEnvhubModel;
  private readonly _body: HTMLDivElement;
  private readonly _refreshButton: HTMLButtonElement;
}

function paragraph(className: string, text: string): HTMLElement {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = text;
  return p;
}

function code(className: string, text: string): HTMLElement {
  const el = document.createElement('code');
  el.className = className;
  el.textContent = text;
  el.title = text;
  return el;
}

function details(server: IEnvhubServer): HTMLElement {
  const list = document.createElement('dl');
  list.className = CSS.details;
  const add = (label: string, value: HTMLElement): void => {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.appendChild(value);
    list.append(dt, dd);
  };

  const name = document.createElement('span');
  name.className = CSS.server;
  name.textContent =
    server.displayName && server.displayName !== server.name
      ? `${server.displayName} (${server.name})`
      : server.name;
  add('Server', name);

  const repo = document.createElement('a');
  repo.className = CSS.repo;
  repo.textContent = server.repoUrl;
  repo.title = server.repoUrl;
  // Only web URLs become links: a stored URL must never run script on click.
  if (/^https?:\/\//i.test(server.repoUrl)) {
    repo.href = server.repoUrl;
    repo.target = '_blank';
    repo.rel = 'noopener noreferrer';
  }
  add('Repository', repo);

  add('Ref', code(CSS.ref, server.ref));
  add('Commit', code(CSS.commit, server.commit));
  add('Image', code(CSS.image, server.image));

  const created = document.createElement('time');
  created.className = CSS.created;
  created.dateTime = server.createdAt;
  const date = new Date(server.createdAt);
  created.textContent = isNaN(date.getTime())
    ? server.createdAt
    : date.toLocaleString();
  created.title = server.createdAt;
  add('Created', created);

  return list;
}
