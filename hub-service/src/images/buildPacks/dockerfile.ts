import { invalidConfig } from './repoFiles.js';

/** A Dockerfile instruction with continuations joined, and the lines it starts and ends on. */
interface Instruction {
  keyword: string;
  args: string;
  lineNo: number;
  endLineNo: number;
}

/** Splits a Dockerfile into instructions the way Docker does: parser directives, escapes, comments. */
function instructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  for (const line of lines) {
    const directive = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (!directive) break;
    if (
      directive[1].toLowerCase() === 'escape' &&
      (directive[2] === '`' || directive[2] === '\\')
    )
      escape = directive[2];
  }
  const out: Instruction[] = [];
  let current: { text: string; lineNo: number } | null = null;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (/^#/.test(trimmed) || (current && trimmed === '')) return;
    if (!current) {
      if (trimmed === '') return;
      current = { text: '', lineNo: i + 1 };
    }
    const body = raw.replace(/\s+$/, '');
    if (body.endsWith(escape)) {
      current.text += body.slice(0, -1) + ' ';
      return;
    }
    current.text += body;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(current.text);
    if (m)
      out.push({
        keyword: m[1].toUpperCase(),
        args: m[2].trim(),
        lineNo: current.lineNo,
        endLineNo: i + 1
      });
    current = null;
  });
  const last = current as { text: string; lineNo: number } | null;
  if (last) {
    const m = /^\s*(\S+)\s*(.*)$/s.exec(last.text);
    if (m)
      out.push({
        keyword: m[1].toUpperCase(),
        args: m[2].trim(),
        lineNo: last.lineNo,
        endLineNo: lines.length
      });
  }
  return out;
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** Docker's `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alternative}` expansion over known ARGs. */
function expand(
  value: string,
  args: Map<string, string | undefined>,
  where: string
): string {
  return value.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, braced, op, word, bare) => {
      const name = (braced ?? bare) as string;
      const v = args.get(name);
      if (op === '-') return v ? v : word;
      if (op === '+') return v ? word : '';
      if (v === undefined) {
        throw invalidConfig(
          `${where}: $${name} has no value (declare \`ARG ${name}=<default>\` before the first FROM)`
        );
      }
      return v;
    }
  );
}

/**
 * The images a Dockerfile pulls: its FROM lines (and `COPY --from=<image>`), with ARGs declared
 * before the first FROM substituted, stage names and `scratch` left out.
 */
export function dockerfileImages(
  text: string,
  file: string,
  buildArgs: Record<string, string>
): string[] {
  const args = new Map<string, string | undefined>();
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  const add = (image: string) => {
    const lower = image.toLowerCase();
    if (
      lower === 'scratch' ||
      stages.has(lower) ||
      /^\d+$/.test(image) ||
      images.includes(image)
    )
      return;
    images.push(image);
  };
  for (const { keyword, args: rest, lineNo } of instructions(text)) {
    const where = `${file} line ${lineNo}`;
    if (keyword === 'ARG' && !seenFrom) {
      for (const decl of rest.split(/\s+/).filter(Boolean)) {
        const eq = decl.indexOf('=');
        const name = eq < 0 ? decl : decl.slice(0, eq);
        const fallback = eq < 0 ? undefined : unquote(decl.slice(eq + 1));
        args.set(name, buildArgs[name] ?? fallback);
      }
    } else if (keyword === 'FROM') {
      seenFrom = true;
      const words = rest.split(/\s+/).filter(w => !w.startsWith('--'));
      if (!words[0]) throw invalidConfig(`${where}: FROM names no image`);
      add(expand(words[0], args, where));
      if (words[1]?.toUpperCase() === 'AS' && words[2])
        stages.add(words[2].toLowerCase());
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const from = /(?:^|\s)--from=(\S+)/.exec(rest);
      if (from) add(expand(from[1], args, where));
    }
  }
  if (!seenFrom)
    throw invalidConfig(
      `${file} has no FROM line: a Dockerfile must start from an image`
    );
  return images;
}

/**
 * `text` with `LABEL <name>="<value>"` as the first instruction of every stage (right after each
 * FROM, continuation lines included), so that every intermediate image and build container of the
 * build carries it.
 */
export function labelStages(text: string, name: string, value: string): string {
  if (!/^[a-z0-9.-]+$/.test(name) || !/^[\w.-]*$/.test(value))
    throw new Error(`label ${name}=${value} needs quoting envhub does not do`);
  const lines = text.split(/\r?\n/);
  const after = new Set(
    instructions(text)
      .filter(i => i.keyword === 'FROM')
      .map(i => i.endLineNo)
  );
  return lines
    .flatMap((line, i) =>
      after.has(i + 1) ? [line, `LABEL ${name}="${value}"`] : [line]
    )
    .join('\n');
}

/**
 * One LABEL instruction setting every label in `labels`, for Dockerfiles envhub writes (default
 * escape character): the legacy builder makes one build step per label of the API's `labels`.
 */
export function labelInstruction(labels: Record<string, string>): string {
  const quote = (text: string) => {
    if (/[\r\n]/.test(text))
      throw new Error(`a label must be one line: ${JSON.stringify(text)}`);
    return `"${text.replace(/[\\"$]/g, c => `\\${c}`)}"`;
  };
  const pairs = Object.entries(labels).map(
    ([k, v]) => `${quote(k)}=${quote(v)}`
  );
  return `LABEL ${pairs.join(' ')}`;
}
