/**
 * BinderHub's repository providers: the `<provider>/<spec>` part of `/build/…` and `/v2/…` URLs.
 * Each spec maps to a clonable repository URL and an unresolved ref.
 */
export interface ProviderSpec {
  provider: string;
  repo: string;
  ref: string;
}

const decode = (segment: string): string => decodeURIComponent(segment);

function splitFirst(spec: string, count: number): string[] | null {
  const parts = spec.split('/');
  if (parts.length <= count || parts.slice(0, count).some(p => p === ''))
    return null;
  return [...parts.slice(0, count), parts.slice(count).join('/')];
}

const parsers: Record<
  string,
  (spec: string) => { repo: string; ref: string } | null
> = {
  // git/<url-escaped repository URL>/<ref>
  git: spec => {
    const parts = splitFirst(spec, 1);
    return parts && { repo: decode(parts[0]), ref: decode(parts[1]) };
  },
  // gh/<user>/<repo>/<ref>
  gh: spec => {
    const parts = splitFirst(spec, 2);
    return (
      parts && {
        repo: `https://github.com/${decode(parts[0])}/${decode(parts[1])}`,
        ref: decode(parts[2])
      }
    );
  },
  // gl/<url-escaped namespace/project>/<ref>
  gl: spec => {
    const parts = splitFirst(spec, 1);
    return (
      parts && {
        repo: `https://gitlab.com/${decode(parts[0])}`,
        ref: decode(parts[1])
      }
    );
  },
  // gist/<user>/<gist id>[/<ref>]
  gist: spec => {
    const parts = spec.split('/');
    if (parts.length < 2 || !parts[0] || !parts[1]) return null;
    return {
      repo: `https://gist.github.com/${decode(parts[0])}/${decode(parts[1])}.git`,
      ref: decode(parts.slice(2).join('/') || 'HEAD')
    };
  }
};

/** The providers envhub reads in `/v2/<provider>/<spec>` and `/build/<provider>/<spec>` URLs. */
export const providers = Object.keys(parsers);

/**
 * Parses `<provider>/<spec>` (still percent-encoded, as it appears in the URL path).
 * Throws an Error whose message says which form was expected.
 */
export function parseProviderSpec(path: string): ProviderSpec {
  const slash = path.indexOf('/');
  const provider = slash < 0 ? path : path.slice(0, slash);
  const parse = parsers[provider];
  if (!parse) {
    throw new Error(
      `unknown provider "${provider}"; envhub supports: ${providers.join(', ')}`
    );
  }
  let parsed: { repo: string; ref: string } | null;
  try {
    parsed = parse(path.slice(slash + 1));
  } catch {
    parsed = null;
  }
  if (!parsed || !parsed.ref) {
    throw new Error(
      `"${path}" is not a valid ${provider} spec; expected e.g. git/<url-escaped repository URL>/<ref>`
    );
  }
  return { provider, ...parsed };
}

/** The `git/<escaped url>/<ref>` path that launches `repo` at `ref` (BinderHub's git provider). */
export function gitProviderPath(repo: string, ref: string): string {
  return `git/${encodeURIComponent(repo)}/${ref.split('/').map(encodeURIComponent).join('/')}`;
}
