import {
  FieldError,
  Mount,
  environmentSchema,
  validateSpec
} from '@envhub/schema';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IEnvhubConnection, createVolume, listVolumes } from './client';
import { IEnvhubModel, IEnvhubServer, IEnvhubVolume } from './tokens';

/** CSS classes of the mounts editor. */
export namespace MountsCSS {
  export const editor = 'jp-envhub-mounts-editor';
  export const row = 'jp-envhub-mount-row';
  export const add = 'jp-envhub-mount-add';
  export const create = 'jp-envhub-volume-create';
  export const volumes = 'jp-envhub-volumes';
  export const error = 'jp-envhub-field-error';
  export const message = 'jp-envhub-error';
  export const note = 'jp-envhub-note';
}

const mountSchema = environmentSchema.properties.mounts.items.properties;

/** What the editor starts from, and what it may do. */
export interface IMountsEditorOptions {
  mounts: Mount[];
  /** The volumes the user may mount, with their access. */
  volumes: IEnvhubVolume[];
  /** Field errors (`mounts.<i>.<field>`) to show next to the rows. */
  errors?: FieldError[];
  /** A refusal of the whole change, shown above the rows. */
  message?: string;
  /** Creates a volume; the editor then offers it and mounts it in a new row. */
  createVolume: (name: string) => Promise<IEnvhubVolume>;
  /** Where volumes' members are managed (the envhub page). */
  volumesPageUrl?: string;
  /** Translates what the editor says; defaults to no translation. */
  trans?: TranslationBundle;
}

/** Whose a volume is, and what the user may do with it. */
const accessLabel = (
  volume: IEnvhubVolume,
  trans: TranslationBundle
): string =>
  volume.access === 'owner'
    ? trans.__('yours')
    : volume.access === 'write'
      ? trans.__("%1's, read-write for you", volume.owner)
      : trans.__("%1's, read-only for you", volume.owner);

let editors = 0;

/**
 * The mounts of a server as rows of volume, mount path and read-only, with
 * "Add mount" and "New volume"; a dialog body whose value is the mounts.
 */
export class MountsEditor
  extends Widget
  implements Dialog.IBodyWidget<Mount[]>
{
  constructor(options: IMountsEditorOptions) {
    super();
    this.addClass(MountsCSS.editor);
    this._options = options;
    const trans = (this._trans =
      options.trans ?? nullTranslator.load('envhub'));
    this._listId = `jp-envhub-volumes-${++editors}`;
    if (options.message) {
      const message = document.createElement('p');
      message.className = MountsCSS.message;
      message.setAttribute('role', 'alert');
      message.textContent = options.message;
      this.node.appendChild(message);
    }
    this._datalist.id = this._listId;
    options.volumes.forEach(volume => this._offer(volume));

    const add = document.createElement('button');
    add.type = 'button';
    add.className = `${MountsCSS.add} jp-Button jp-mod-styled jp-mod-reject`;
    add.textContent = trans.__('Add mount');
    add.addEventListener('click', () =>
      this._addRow({ source: '', target: '', readOnly: false })
        .querySelector('input')
        ?.focus()
    );

    const note = document.createElement('p');
    note.className = MountsCSS.note;
    note.textContent = options.volumes.length
      ? trans.__(
          'Volumes you may mount: %1.',
          options.volumes
            .map(v => trans.__('%1 (%2)', v.name, accessLabel(v, trans)))
            .join(', ')
        )
      : trans.__(
          'You may not mount any volume yet: create one below, or ask a volume’s owner to add you.'
        );
    if (options.volumesPageUrl) {
      const page = document.createElement('a');
      page.href = options.volumesPageUrl;
      page.target = '_blank';
      page.rel = 'noopener';
      page.textContent = trans.__('Manage volumes and who may mount them');
      note.append(' ', page);
    }
    this.node.append(this._rows, add, this._datalist, note, this._createForm());
    options.mounts.forEach((mount, index) => this._addRow(mount, index));
  }

  /** The mounts as entered; rows left empty are dropped. */
  getValue(): Mount[] {
    return [...this._rows.querySelectorAll<HTMLElement>(`.${MountsCSS.row}`)]
      .map(row => ({
        source: row
          .querySelector<HTMLInputElement>('input[name="source"]')!
          .value.trim(),
        target: row
          .querySelector<HTMLInputElement>('input[name="target"]')!
          .value.trim(),
        readOnly: row.querySelector<HTMLInputElement>('input[name="readOnly"]')!
          .checked
      }))
      .filter(mount => mount.source || mount.target);
  }

  private _addRow(mount: Mount, index?: number): HTMLElement {
    const row = document.createElement('fieldset');
    row.className = MountsCSS.row;
    const legend = document.createElement('legend');
    legend.textContent = this._trans.__('Mount');
    const source = this._input(
      'source',
      mountSchema.source,
      mount.source,
      'course-data'
    );
    source.setAttribute('list', this._listId);
    const target = this._input(
      'target',
      mountSchema.target,
      mount.target,
      '/mnt/data'
    );
    const readOnly = document.createElement('input');
    readOnly.type = 'checkbox';
    readOnly.name = 'readOnly';
    readOnly.checked = Boolean(mount.readOnly);
    const readOnlyLabel = document.createElement('label');
    readOnlyLabel.append(readOnly, ` ${mountSchema.readOnly.title}`);
    readOnlyLabel.title = mountSchema.readOnly.description;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'jp-Button jp-mod-styled jp-mod-minimal';
    remove.textContent = this._trans.__('Remove');
    remove.setAttribute('aria-label', this._trans.__('Remove this mount'));
    remove.addEventListener('click', () => row.remove());
    row.append(
      legend,
      source.parentElement!,
      target.parentElement!,
      readOnlyLabel,
      remove
    );
    for (const error of this._options.errors ?? []) {
      if (index !== undefined && error.field.startsWith(`mounts.${index}`)) {
        const text = document.createElement('p');
        text.className = MountsCSS.error;
        text.textContent = error.message;
        row.appendChild(text);
      }
    }
    this._rows.appendChild(row);
    return row;
  }

  private _input(
    name: string,
    field: { title: string; description: string },
    value: string,
    placeholder: string
  ): HTMLInputElement {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.name = name;
    input.className = 'jp-mod-styled';
    input.value = value;
    input.placeholder = placeholder;
    input.title = field.description;
    label.append(`${field.title} `, input);
    return input;
  }

  private _offer(volume: IEnvhubVolume): void {
    const option = document.createElement('option');
    option.value = volume.name;
    option.label = this._trans.__(
      '%1 (%2)',
      volume.name,
      accessLabel(volume, this._trans)
    );
    this._datalist.appendChild(option);
  }

  private _createForm(): HTMLElement {
    const form = document.createElement('div');
    form.className = MountsCSS.create;
    const name = this._input(
      'volume',
      { ...mountSchema.source, title: this._trans.__('New volume') },
      '',
      'my-data'
    );
    name.setAttribute('aria-label', this._trans.__('Name of a new volume'));
    const create = document.createElement('button');
    create.type = 'button';
    create.className = 'jp-Button jp-mod-styled jp-mod-reject';
    create.textContent = this._trans.__('Create and mount');
    const status = document.createElement('p');
    status.setAttribute('role', 'status');
    create.addEventListener('click', async () => {
      const wanted = name.value.trim();
      if (!wanted) {
        return;
      }
      create.disabled = true;
      try {
        const volume = await this._options.createVolume(wanted);
        this._offer(volume);
        this._addRow({
          source: volume.name,
          target: `/mnt/${volume.name}`,
          readOnly: false
        });
        name.value = '';
        status.className = MountsCSS.note;
        status.textContent = this._trans.__(
          'Created volume %1; it is mounted at /mnt/%1 once you save and restart.',
          volume.name
        );
      } catch (reason) {
        status.className = MountsCSS.error;
        status.textContent =
          reason instanceof Error ? reason.message : String(reason);
      } finally {
        create.disabled = false;
      }
    });
    form.append(name.parentElement!, create, status);
    return form;
  }

  private readonly _options: IMountsEditorOptions;
  private readonly _trans: TranslationBundle;
  private readonly _listId: string;
  private readonly _rows = document.createElement('div');
  private readonly _datalist = document.createElement('datalist');
}

/** The mount errors of `mounts` on `server`'s spec, as the schema sees them. */
export function mountErrors(
  server: IEnvhubServer,
  mounts: Mount[]
): FieldError[] {
  const validation = validateSpec({ ...server.spec, mounts });
  return validation.ok
    ? []
    : validation.errors.filter(e => e.field.startsWith('mounts'));
}

/**
 * Edit the server's mounts until the service takes them (or the user cancels).
 *
 * @returns the server as it is after saving; null when nothing was saved.
 */
export async function editMounts(
  model: IEnvhubModel,
  connection: IEnvhubConnection,
  server: IEnvhubServer,
  trans: TranslationBundle = nullTranslator.load('envhub')
): Promise<IEnvhubServer | null> {
  let mounts: Mount[] = server.spec.mounts ?? [];
  let errors: FieldError[] = [];
  let message = '';
  let volumes: IEnvhubVolume[] = [];
  try {
    volumes = await listVolumes(connection);
  } catch (reason) {
    message = trans.__(
      'Could not list your volumes: %1',
      reason instanceof Error ? reason.message : String(reason)
    );
  }
  for (;;) {
    const result = await showDialog({
      title: trans.__('Mounts of %1', server.displayName),
      body: new MountsEditor({
        mounts,
        volumes,
        errors,
        message,
        volumesPageUrl: `${connection.serviceUrl.replace(/\/*$/, '/')}#envhub-volumes-section`,
        trans,
        createVolume: async name => {
          const volume = await createVolume(connection, name);
          volumes = [...volumes, volume];
          return volume;
        }
      }),
      buttons: [
        Dialog.cancelButton(),
        Dialog.okButton({ label: trans.__('Save') })
      ]
    });
    if (!result.button.accept || !result.value) {
      return null;
    }
    mounts = result.value;
    errors = mountErrors(server, mounts);
    const whole = errors.filter(e => !/^mounts\.\d+/.test(e.field));
    message = whole.length
      ? whole.map(e => e.message).join('; ')
      : errors.length
        ? trans.__('Fix the mounts marked below.')
        : '';
    if (errors.length) {
      continue;
    }
    try {
      return await model.setMounts(mounts);
    } catch (reason) {
      message = reason instanceof Error ? reason.message : String(reason);
    }
  }
}
