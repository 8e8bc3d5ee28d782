import { request } from 'node:http';

/** What a test sends: a method and a path (already URL-escaped), raw headers and a raw body. */
export interface Sent {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string> | URLSearchParams;
}

export interface Received {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
  /** Every Set-Cookie header. */
  cookies: string[];
}

/**
 * One plain HTTP request with node:http, which sends headers and bodies byte for byte as given
 * (fetch would add headers of its own and refuses some of the malformed ones tests need).
 */
export function send(
  base: string,
  path: string,
  options: Sent = {}
): Promise<Received> {
  const headers: Record<string, string | string[]> = { ...options.headers };
  let body: string | Buffer = options.body ?? '';
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['Content-Type'] ??= 'application/json';
  } else if (options.form !== undefined) {
    body = new URLSearchParams(
      options.form as Record<string, string>
    ).toString();
    headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
  }
  const hasBody =
    options.body !== undefined ||
    options.json !== undefined ||
    options.form !== undefined;
  if (
    hasBody &&
    !Object.keys(headers).some(name => name.toLowerCase() === 'content-length')
  ) {
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const req = request(
      base + path,
      { method: options.method ?? 'GET', headers },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            cookies: res.headers['set-cookie'] ?? []
          });
        });
      }
    );
    req.on('error', reject);
    req.end(hasBody ? body : undefined);
  });
}

/** Cookies as a browser keeps them for one site: set by responses, sent back with each request. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Takes the cookies a response sets (and forgets those it expires). */
  take(response: Pick<Received, 'cookies'>): this {
    for (const header of response.cookies) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some(
        a =>
          /^\s*max-age=0\s*$/i.test(a) ||
          (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now())
      );
      if (expired) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, pair.slice(eq + 1).trim());
      }
    }
    return this;
  }

  set(name: string, value: string): this {
    this.cookies.set(name, value);
    return this;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  names(): string[] {
    return [...this.cookies.keys()];
  }

  copy(): CookieJar {
    const jar = new CookieJar();
    this.cookies.forEach((value, name) => jar.set(name, value));
    return jar;
  }

  /** The Cookie header a browser would send. */
  header(): string {
    return [...this.cookies]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }
}

/** The XSRF value a page carries (on its body, where the page's scripts read it). */
export function pageXsrf(page: string): string {
  const found = page.match(/data-xsrf="([^"]*)"/);
  if (!found || !found[1]) {
    throw new Error('the page carries no XSRF value (data-xsrf on its body)');
  }
  return found[1]
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** The `data:` events of an event stream, parsed. */
export function streamEvents(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .map(block =>
      block
        .split('\n')
        .filter(line => line.startsWith('data:'))
        .map(line => line.slice(5).trim())
        .join('\n')
    )
    .filter(Boolean)
    .map(data => JSON.parse(data) as Record<string, unknown>);
}

/** Fails with the answer's body (which says why) unless the status is one of `expected`. */
export function expectStatus(response: Received, ...expected: number[]): void {
  if (!expected.includes(response.status)) {
    throw new Error(
      `expected HTTP ${expected.join(' or ')}, got ${response.status}: ${response.text.slice(0, 600)}`
    );
  }
}

/** The last event of a launch stream, which must be `ready`; fails with the whole stream otherwise. */
export function expectReady(text: string): Record<string, unknown> {
  const events = streamEvents(text);
  const last = events.at(-1);
  if (last?.phase !== 'ready') {
    throw new Error(
      `the launch did not end ready:\n${events.map(e => `${e.phase}: ${String(e.message ?? '').trim()}`).join('\n')}`
    );
  }
  return last;
}
