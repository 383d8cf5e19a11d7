import https from 'node:https';

export interface Page {
  url: string;
  status: number;
  body: string;
}

/**
 * A scripted browser over real HTTPS: it keeps cookies per host and path, follows redirects
 * across servers (console → CAS → console) and submits HTML forms with their hidden fields.
 */
export class WebBrowser {
  private readonly jar: Array<{ origin: string; path: string; name: string; value: string }> = [];

  constructor(private readonly ca: string) {}

  async open(url: string): Promise<Page> {
    return this.follow(await this.request('GET', url));
  }

  /** Fills the page's first form (hidden fields kept) and submits it. */
  async submit(page: Page, fields: Record<string, string>, action?: string): Promise<Page> {
    const form = /<form method="post" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.body);
    if (form === null) throw new Error(`no form on ${page.url}: ${page.body.slice(0, 300)}`);
    const hidden = Object.fromEntries(
      [...form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1]!,
        decode(m[2]!),
      ]),
    );
    const target = new URL(action ?? decode(form[1]!), page.url).toString();
    const body = new URLSearchParams({ ...hidden, ...fields }).toString();
    return this.follow(await this.request('POST', target, body));
  }

  private async follow(first: {
    url: string;
    status: number;
    body: string;
    location?: string;
  }): Promise<Page> {
    let current = first;
    for (let hops = 0; current.location !== undefined && hops < 10; hops += 1) {
      current = await this.request('GET', new URL(current.location, current.url).toString());
    }
    return { url: current.url, status: current.status, body: current.body };
  }

  private request(
    method: 'GET' | 'POST',
    url: string,
    body?: string,
  ): Promise<{ url: string; status: number; body: string; location?: string }> {
    const target = new URL(url);
    const headers: Record<string, string> = { cookie: this.cookiesFor(target) };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    return new Promise((resolve, reject) => {
      const outgoing = https.request(target, { method, headers, ca: this.ca }, (response) => {
        this.keep(target, response.headers['set-cookie'] ?? []);
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          const location = status >= 300 && status < 400 ? response.headers.location : undefined;
          resolve({ url, status, body: text, ...(location === undefined ? {} : { location }) });
        });
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  private cookiesFor(url: URL): string {
    return this.jar
      .filter((cookie) => cookie.origin === url.origin && url.pathname.startsWith(cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  private keep(url: URL, lines: string[]): void {
    for (const line of lines) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const [name, ...rest] = (pair ?? '').split('=');
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const index = this.jar.findIndex(
        (c) => c.origin === url.origin && c.name === name && c.path === path,
      );
      if (index >= 0) this.jar.splice(index, 1);
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(line) || rest.join('=') === '';
      if (!expired && name !== undefined)
        this.jar.push({ origin: url.origin, path, name, value: rest.join('=') });
    }
  }
}

function decode(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'");
}
