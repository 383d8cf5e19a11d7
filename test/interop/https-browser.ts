import https from 'node:https';

export interface Page {
  url: string;
  status: number;
  location: string | undefined;
  body: string;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/**
 * A browser over real HTTPS that trusts only the given CA: it keeps cookies and follows
 * redirects by hand, so a test can look at every hop. Cookies are matched by path only, not by
 * port, as browsers do; every server in these tests is on 127.0.0.1.
 */
export class HttpsBrowser {
  private readonly cookies = new Map<string, Cookie>();

  constructor(private readonly ca: string) {}

  get(url: string): Promise<Page> {
    return this.send('GET', url);
  }

  post(url: string, form: Record<string, string>): Promise<Page> {
    return this.send('POST', url, new URLSearchParams(form).toString());
  }

  /** GETs the URL and follows redirects until a page that is not one; returns every hop. */
  async browse(url: string, maxHops = 10): Promise<Page[]> {
    return this.follow(await this.get(url), maxHops);
  }

  async follow(first: Page, maxHops = 10): Promise<Page[]> {
    const pages = [first];
    let current = first;
    while (current.status >= 300 && current.status < 400 && current.location !== undefined) {
      if (pages.length > maxHops) throw new Error(`too many redirects: ${hops(pages)}`);
      current = await this.get(new URL(current.location, current.url).toString());
      pages.push(current);
    }
    return pages;
  }

  /** Fills in the login form on the page the way a person would, hidden fields included. */
  async submitLogin(form: Page, userName: string, password: string): Promise<Page[]> {
    const action = /<form method="post" action="([^"]*)"/.exec(form.body)?.[1];
    if (action === undefined) throw new Error(`no login form at ${form.url}: ${form.body}`);
    const hidden = Object.fromEntries(
      [...form.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        unescapeHtml(m[1]!),
        unescapeHtml(m[2]!),
      ]),
    );
    const target = new URL(unescapeHtml(action), form.url).toString();
    return this.follow(await this.post(target, { ...hidden, username: userName, password }));
  }

  /** Drops a cookie, as when a site's session cookie expires while the CAS one lives on. */
  forget(name: string): void {
    for (const [key, cookie] of this.cookies) if (cookie.name === name) this.cookies.delete(key);
  }

  cookie(name: string): string | undefined {
    return [...this.cookies.values()].find((cookie) => cookie.name === name)?.value;
  }

  private send(method: 'GET' | 'POST', url: string, body?: string): Promise<Page> {
    const target = new URL(url);
    const headers: Record<string, string | number> = {};
    const cookie = this.cookieHeader(target.pathname);
    if (cookie !== '') headers['cookie'] = cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      // agent: false, so no kept-alive socket holds a server open after the test.
      const request = https.request(
        target,
        { method, headers, ca: this.ca, agent: false },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            this.keep(response.headers['set-cookie'] ?? []);
            resolve({
              url,
              status: response.statusCode ?? 0,
              location: response.headers.location,
              body: text,
            });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  private cookieHeader(path: string): string {
    return [...this.cookies.values()]
      .filter((cookie) => path === cookie.path || path.startsWith(withSlash(cookie.path)))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  private keep(lines: string[]): void {
    for (const line of lines) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const equals = pair.indexOf('=');
      if (equals <= 0) continue;
      const name = pair.slice(0, equals);
      const value = pair.slice(equals + 1);
      const attribute = (key: string): string | undefined =>
        attributes.find((part) => part.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attribute('path') ?? '/';
      const expires = attribute('expires');
      const gone =
        value === '' ||
        attribute('max-age') === '0' ||
        (expires !== undefined && Date.parse(expires) <= Date.now());
      if (gone) this.cookies.delete(`${path} ${name}`);
      else this.cookies.set(`${path} ${name}`, { name, value, path });
    }
  }
}

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The hops of a browse, for assertion messages. */
export function hops(pages: Page[]): string {
  return pages
    .map((page) => `${page.status} ${page.url}${page.location ? ` -> ${page.location}` : ''}`)
    .join('\n');
}
