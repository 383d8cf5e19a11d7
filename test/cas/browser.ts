import type { HttpsApp } from '../../src/http/https-app.js';

/** A browser's view of CAS through app.inject(): it keeps cookies and follows nothing itself. */
export class Browser {
  private readonly cookies = new Map<string, string>();

  constructor(
    private readonly app: HttpsApp,
    private readonly address = '192.0.2.10',
  ) {}

  async get(url: string): Promise<{ status: number; location: string | undefined; body: string }> {
    const response = await this.app.inject({
      method: 'GET',
      url,
      headers: this.headers(),
      remoteAddress: this.address,
    });
    this.keep(response.headers['set-cookie']);
    return {
      status: response.statusCode,
      location: response.headers.location,
      body: response.body,
    };
  }

  async post(
    url: string,
    form: Record<string, string>,
  ): Promise<{ status: number; location: string | undefined; body: string }> {
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(form).toString(),
      remoteAddress: this.address,
    });
    this.keep(response.headers['set-cookie']);
    return {
      status: response.statusCode,
      location: response.headers.location,
      body: response.body,
    };
  }

  /** Opens the login page for a service and submits the form; returns the final answer. */
  async logIn(
    userName: string,
    password: string,
    service?: string,
    extra = '',
  ): Promise<{ status: number; location: string | undefined; body: string }> {
    const query = service === undefined ? '' : `?service=${encodeURIComponent(service)}${extra}`;
    const form = await this.get(`/cas/login${query}`);
    const hidden = Object.fromEntries(
      [...form.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1]!,
        unescape(m[2]!),
      ]),
    );
    return this.post('/cas/login', { ...hidden, username: userName, password });
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private headers(): Record<string, string> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return cookie === '' ? {} : { cookie };
  }

  private keep(header: string | string[] | undefined): void {
    for (const line of [header ?? []].flat()) {
      const [pair] = line.split(';');
      const [name, ...rest] = (pair ?? '').split('=');
      const value = rest.join('=');
      if (name === undefined) continue;
      if (value === '' || /Expires=Thu, 01 Jan 1970/.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function unescape(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

export function ticketOf(location: string | undefined): string {
  const match = /[?&]ticket=([^&]+)/.exec(location ?? '');
  if (match === null) throw new Error(`no ticket in ${String(location)}`);
  return decodeURIComponent(match[1]!);
}
