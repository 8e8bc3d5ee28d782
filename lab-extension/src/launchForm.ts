import {
  EnvironmentSpec,
  FieldError,
  LaunchParameter,
  SchemaNode,
  choicesOf,
  launchParameters,
  listItemCodecs,
  rootSchema,
  setValueAt,
  valueAt
} from '@envhub/schema';
import { TranslationBundle, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { publicAccessMeaning } from './publicAccess';

/** CSS classes of the launch form. */
export namespace FormCSS {
  export const form = 'jp-envhub-form';
  export const source = 'jp-envhub-form-source';
  export const group = 'jp-envhub-form-group';
  export const field = 'jp-envhub-field';
  export const help = 'jp-envhub-field-help';
  export const error = 'jp-envhub-field-error';
  export const errors = 'jp-envhub-form-errors';
  export const note = 'jp-envhub-note';
}

/**
 * What passing credentials into a server means, said under the form's `credentials`
 * field in the seed's words (envhub's own form and confirmation page say the same).
 */
export function credentialsMeaning(trans: TranslationBundle): string {
  return trans.__(
    'With credentials, the code can take any action on behalf of the user in any service that uses the same authentication. Your stored credentials (see Your credentials on envhub\'s page) are passed into the server as /run/envhub/credentials.json, for git and your code, and with "As a file and environment variables" also as ENVHUB_CREDENTIAL_<HOST>_USERNAME and ENVHUB_CREDENTIAL_<HOST>_TOKEN, which every process in the server can read and which are not refreshed; off by default.'
  );
}

/**
 * The schema node at `path`, e.g. `['resources']` → the Resources object.
 */
export function schemaNodeAt(path: readonly string[]): SchemaNode | undefined {
  return path.reduce<SchemaNode | undefined>(
    (node, key) => node?.properties?.[key],
    rootSchema
  );
}

/**
 * What a form field holds for a spec value: lists of names are comma-separated, lists of objects
 * (mounts, materials) one per line in their launch-link form.
 */
export function fieldText(param: LaunchParameter, value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (Array.isArray(value)) {
    const codec = listItemCodecs[param.name];
    if (codec) {
      return value.map(item => codec.encode(item)).join('\n');
    }
    return value.join(', ');
  }
  return String(value);
}

/**
 * The spec value for a field's text, by the field's schema type; undefined for an empty field.
 * Text that is not a number is kept as text so that validation names the field.
 */
export function fieldValue(param: LaunchParameter, text: string): unknown {
  const trimmed = text.trim();
  const codec = listItemCodecs[param.name];
  if (codec) {
    // One per line; a line the codec cannot read stays text for validation to name.
    const lines = trimmed
      .split('\n')
      .map(line => line.trim())
      .filter(line => line !== '');
    return lines.length > 0
      ? lines.map(line => codec.decode(line) ?? line)
      : undefined;
  }
  if (param.node.type === 'array') {
    const items = trimmed
      .split(',')
      .map(item => item.trim())
      .filter(item => item !== '');
    return items.length > 0 ? items : undefined;
  }
  if (trimmed === '') {
    return undefined;
  }
  if (param.node.type === 'number' || param.node.type === 'integer') {
    const number = Number(trimmed);
    return Number.isFinite(number) ? number : trimmed;
  }
  return trimmed;
}

/** The launch parameter an error's field belongs to (`collaborators.users.1` → `user`). */
function parameterOf(field: string): LaunchParameter | undefined {
  return launchParameters.find(param => {
    const name = param.path.join('.');
    return field === name || field.startsWith(`${name}.`);
  });
}

/**
 * A form for a spec's launch parameters, rendered from the schema: one field per
 * parameter (label = title, help = description, and what public access means under
 * `public` and passing credentials under `credentials`; a field with choices, such as
 * `credentials`, is a drop-down of their titles), nested fields grouped under
 * their object's title.
 * `repo` and `ref` are not parameters; they are shown above the fields.
 */
export class LaunchForm extends Widget {
  /**
   * @param spec the values to start from; `repo` and `ref` are kept as they are.
   * @param errors problems to show under their fields (from `validateSpec`).
   * @param trans translates what the form adds to the schema's help.
   */
  constructor(
    spec: EnvironmentSpec,
    errors: FieldError[] = [],
    trans: TranslationBundle = nullTranslator.load('envhub')
  ) {
    super();
    this._spec = structuredClone(spec);
    this._trans = trans;
    this.addClass(FormCSS.form);

    const source = document.createElement('p');
    source.className = FormCSS.source;
    source.textContent = `${spec.repo} @ ${spec.ref ?? 'HEAD'}`;
    this.node.appendChild(source);

    const general = errors.filter(error => !parameterOf(error.field));
    if (general.length > 0) {
      const list = document.createElement('ul');
      list.className = FormCSS.errors;
      list.setAttribute('role', 'alert');
      for (const error of general) {
        const item = document.createElement('li');
        item.textContent = error.message;
        list.appendChild(item);
      }
      this.node.appendChild(list);
    }

    const groups = new Map<string, HTMLElement>();
    for (const param of launchParameters) {
      const row = this._field(
        param,
        errors.filter(error => parameterOf(error.field) === param)
      );
      if (param.path.length === 1) {
        this.node.appendChild(row);
        continue;
      }
      const key = param.path[0];
      let group = groups.get(key);
      if (!group) {
        group = document.createElement('fieldset');
        group.className = FormCSS.group;
        const legend = document.createElement('legend');
        legend.textContent = schemaNodeAt([key])?.title ?? key;
        group.appendChild(legend);
        groups.set(key, group);
        this.node.appendChild(group);
      }
      group.appendChild(row);
    }
  }

  /** The spec with the form's values. */
  getValue(): EnvironmentSpec {
    const spec = structuredClone(this._spec) as unknown as Record<
      string,
      unknown
    >;
    for (const [param, input] of this._inputs) {
      const chosen =
        input instanceof HTMLSelectElement
          ? choicesOf(param.node)?.[input.selectedIndex]?.const
          : undefined;
      const value =
        input instanceof HTMLSelectElement
          ? chosen === param.node.default
            ? undefined
            : chosen
          : input instanceof HTMLInputElement && input.type === 'checkbox'
            ? input.checked === Boolean(param.node.default)
              ? undefined
              : input.checked
            : fieldValue(param, input.value);
      setValueAt(spec, param.path, value);
    }
    return spec as unknown as EnvironmentSpec;
  }

  private _field(param: LaunchParameter, errors: FieldError[]): HTMLElement {
    const { node } = param;
    const id = `envhub-field-${param.name}-${Private.nextId()}`;
    const row = document.createElement('div');
    row.className = FormCSS.field;
    row.dataset.param = param.name;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = node.title ?? param.name;
    const help = document.createElement('small');
    help.className = FormCSS.help;
    help.id = `${id}-help`;
    help.textContent = node.description ?? '';

    const value = valueAt(this._spec, param.path);
    const choices = choicesOf(node);
    let input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (choices) {
      input = document.createElement('select');
      input.classList.add('jp-mod-styled');
      const current = value === undefined ? node.default : value;
      for (const choice of choices) {
        const option = document.createElement('option');
        option.textContent = choice.title ?? String(choice.const);
        option.title = choice.description ?? '';
        option.selected = choice.const === current;
        input.appendChild(option);
      }
    } else if (node.type === 'array' && node.items?.type === 'object') {
      input = document.createElement('textarea');
      input.rows = 2;
    } else {
      input = document.createElement('input');
      if (node.type === 'boolean') {
        input.type = 'checkbox';
        input.checked =
          value === undefined ? Boolean(node.default) : Boolean(value);
      } else {
        input.type = 'text';
        if (node.type === 'number' || node.type === 'integer') {
          input.inputMode = 'decimal';
        }
      }
    }
    input.id = id;
    input.name = param.name;
    input.setAttribute('aria-describedby', help.id);
    if (
      !(input instanceof HTMLSelectElement) &&
      !(input instanceof HTMLInputElement && input.type === 'checkbox')
    ) {
      input.value = fieldText(param, value);
      input.classList.add('jp-mod-styled');
    }
    if (node.type === 'array' && node.items?.type !== 'object') {
      help.textContent = sentences(
        help.textContent,
        'Separate several with commas.'
      );
    }
    if (param.name === 'public') {
      help.textContent = sentences(
        help.textContent,
        publicAccessMeaning(this._trans)
      );
    }
    if (param.name === 'credentials') {
      help.textContent = sentences(
        help.textContent,
        credentialsMeaning(this._trans)
      );
    }
    this._inputs.set(param, input);

    if (input instanceof HTMLInputElement && input.type === 'checkbox') {
      label.prepend(input, ' ');
      row.append(label, help);
    } else {
      row.append(label, input, help);
    }
    for (const error of errors) {
      const message = document.createElement('div');
      message.className = FormCSS.error;
      message.setAttribute('role', 'alert');
      message.textContent = error.message;
      row.appendChild(message);
      input.setAttribute('aria-invalid', 'true');
    }
    return row;
  }

  private readonly _spec: EnvironmentSpec;
  private readonly _trans: TranslationBundle;
  private readonly _inputs = new Map<
    LaunchParameter,
    HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement
  >();
}

/** Joins two sentences; schema descriptions do not end with a full stop. */
function sentences(first: string, second: string): string {
  if (!first) {
    return second;
  }
  return /[.!?]$/.test(first) ? `${first} ${second}` : `${first}. ${second}`;
}

namespace Private {
  let counter = 0;

  /** A number no other element id on the page has used. */
  export function nextId(): number {
    return ++counter;
  }
}
