import { escapeHtml, renderHtmlPage } from './page.js';

export interface SignedInView {
  title: string;
  userName: string;
  role: string;
  /** null: every customer account. */
  customerAccounts: string[] | null;
  mustChangePassword: boolean;
  logoutAction: string;
  csrfToken: string;
}

/** The landing page of a signed-in user, with the logout form (POST, CSRF token). */
export function renderSignedInPage(view: SignedInView): string {
  const accounts =
    view.customerAccounts === null
      ? 'all'
      : view.customerAccounts.length === 0
        ? 'none'
        : view.customerAccounts.map(escapeHtml).join(', ');
  const passwordNotice = view.mustChangePassword
    ? '<p>You must change your password before going on.</p>\n'
    : '';
  return renderHtmlPage(
    view.title,
    `<p>Signed in as <strong>${escapeHtml(view.userName)}</strong></p>
<p>Role: ${escapeHtml(view.role)}</p>
<p>Customer accounts: ${accounts}</p>
${passwordNotice}<form method="post" action="${escapeHtml(view.logoutAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrfToken)}">
<button type="submit">Log out</button>
</form>`,
  );
}

/**
 * A logon that failed or a ticket already used (C28): say so and offer a fresh logon, rather
 * than sending the browser straight back to CAS in a loop.
 */
export function renderLogonFailedPage(title: string, retryHref: string): string {
  return renderHtmlPage(
    title,
    `<p>Your sign-in did not succeed or your session expired.</p>
<p><a href="${escapeHtml(retryHref)}">Log in again</a></p>`,
  );
}

/** A user CAS knows, signed in for a server that is not theirs (a portal logon at the console). */
export function renderNotAllowedPage(title: string, casLogoutHref: string): string {
  return renderHtmlPage(
    title,
    `<p>Your account cannot use this site.</p>
<p><a href="${escapeHtml(casLogoutHref)}">Sign out of single sign-on</a></p>`,
  );
}
