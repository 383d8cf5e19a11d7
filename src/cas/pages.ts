import { escapeHtml } from '../web/page.js';

export type Locale = 'en' | 'de';

const TEXT = {
  en: {
    title: 'TMSP sign-in',
    userName: 'User name',
    password: 'Password',
    signIn: 'Sign in',
    invalid: 'The user name or password is wrong.',
    throttled: 'Too many failed attempts. Wait a few minutes, then try again.',
    unregistered: 'This application is not registered for TMSP sign-in.',
    signedIn: 'You are signed in.',
    signedOut: 'You are signed out.',
    changeTitle: 'Change your password',
    changeIntro: 'You must choose a new password before you continue.',
    currentPassword: 'Current password',
    newPassword: 'New password',
    repeatPassword: 'New password again',
    change: 'Change password',
    mismatch: 'The two new passwords differ.',
    expired: 'The form has expired. Please try again.',
    notEnrolled: 'A second factor is required. Ask an administrator to enroll yours.',
    secondFactorTitle: 'Second factor',
    code: 'Code from your authenticator app',
    verify: 'Verify',
  },
  de: {
    title: 'TMSP-Anmeldung',
    userName: 'Benutzername',
    password: 'Passwort',
    signIn: 'Anmelden',
    invalid: 'Benutzername oder Passwort ist falsch.',
    throttled: 'Zu viele Fehlversuche. Bitte warten Sie einige Minuten.',
    unregistered: 'Diese Anwendung ist für die TMSP-Anmeldung nicht registriert.',
    signedIn: 'Sie sind angemeldet.',
    signedOut: 'Sie sind abgemeldet.',
    changeTitle: 'Passwort ändern',
    changeIntro: 'Bitte wählen Sie ein neues Passwort, bevor Sie fortfahren.',
    currentPassword: 'Aktuelles Passwort',
    newPassword: 'Neues Passwort',
    repeatPassword: 'Neues Passwort wiederholen',
    change: 'Passwort ändern',
    mismatch: 'Die neuen Passwörter stimmen nicht überein.',
    expired: 'Das Formular ist abgelaufen. Bitte erneut versuchen.',
    notEnrolled: 'Ein zweiter Faktor ist vorgeschrieben. Bitte lassen Sie ihn einrichten.',
    secondFactorTitle: 'Zweiter Faktor',
    code: 'Code aus Ihrer Authenticator-App',
    verify: 'Prüfen',
  },
} as const;

export type MessageKey = keyof (typeof TEXT)['en'];

export function text(locale: Locale, key: MessageKey): string {
  return TEXT[locale][key];
}

/** The locale from ?locale=, else the first supported language the browser asks for. */
export function chooseLocale(
  requested: string | undefined,
  acceptLanguage: string | undefined,
): Locale {
  const wanted = [
    requested ?? '',
    ...(acceptLanguage ?? '').split(',').map((part) => part.split(';')[0] ?? ''),
  ];
  for (const tag of wanted) {
    const language = tag.trim().slice(0, 2).toLowerCase();
    if (language === 'en' || language === 'de') return language;
  }
  return 'en';
}

/** Hidden fields carried through a form: the service, renew and the form token. */
export type Hidden = Record<string, string>;

export function loginPage(locale: Locale, hidden: Hidden, error: MessageKey | null): string {
  return page(locale, text(locale, 'title'), [
    error === null ? '' : `<p role="alert" class="error">${escapeHtml(text(locale, error))}</p>`,
    `<form method="post" action="login" autocomplete="off">`,
    hiddenFields(hidden),
    field('username', text(locale, 'userName'), 'text', 'username'),
    field('password', text(locale, 'password'), 'password', 'current-password'),
    `<button type="submit">${escapeHtml(text(locale, 'signIn'))}</button>`,
    '</form>',
  ]);
}

export function passwordPage(locale: Locale, hidden: Hidden, error: string | null): string {
  return page(locale, text(locale, 'changeTitle'), [
    `<p>${escapeHtml(text(locale, 'changeIntro'))}</p>`,
    error === null ? '' : `<p role="alert" class="error">${escapeHtml(error)}</p>`,
    `<form method="post" action="password" autocomplete="off">`,
    hiddenFields(hidden),
    field('current', text(locale, 'currentPassword'), 'password', 'current-password'),
    field('next', text(locale, 'newPassword'), 'password', 'new-password'),
    field('repeat', text(locale, 'repeatPassword'), 'password', 'new-password'),
    `<button type="submit">${escapeHtml(text(locale, 'change'))}</button>`,
    '</form>',
  ]);
}

export function secondFactorPage(locale: Locale, hidden: Hidden): string {
  return page(locale, text(locale, 'secondFactorTitle'), [
    `<form method="post" action="second-factor" autocomplete="off">`,
    hiddenFields(hidden),
    field('code', text(locale, 'code'), 'text', 'one-time-code'),
    `<button type="submit">${escapeHtml(text(locale, 'verify'))}</button>`,
    '</form>',
  ]);
}

export function messagePage(locale: Locale, key: MessageKey): string {
  return page(locale, text(locale, 'title'), [`<p>${escapeHtml(text(locale, key))}</p>`]);
}

function field(name: string, label: string, type: string, autocomplete: string): string {
  return `<p><label>${escapeHtml(label)}<br><input name="${name}" type="${type}" autocomplete="${autocomplete}" required></label></p>`;
}

function hiddenFields(hidden: Hidden): string {
  return Object.entries(hidden)
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('');
}

function page(locale: Locale, title: string, body: string[]): string {
  return `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body.filter(Boolean).join('\n')}
</body>
</html>
`;
}
