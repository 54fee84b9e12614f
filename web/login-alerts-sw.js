// login-alerts service worker: shows each web push alert and opens its link on click.
// Plain JavaScript, no build step, no imports. It contacts nobody: no fetch, no analytics; the only
// network effect is the window the person opens by clicking.
//
// Register it with the base URL the alert links use (login-alerts' PUBLIC_BASE_URL) as `base`:
//   navigator.serviceWorker.register('/push/login-alerts-sw.js?base=https%3A%2F%2Falerts.example.com')
// Without `base`, the worker's own origin is the base. Only https URLs (http for a loopback host)
// under the base are ever opened; a payload is never trusted beyond that.

/** A push message's text beyond this is not read (login-alerts sends at most 3993 bytes). */
const MAX_PAYLOAD_CHARS = 4096;
const MAX_TITLE_CHARS = 80;
const MAX_BODY_CHARS = 240;
const MAX_URL_CHARS = 2048;
const MAX_ID_CHARS = 128;
const SEVERITIES = ['info', 'warning', 'critical'];
/** Shown for a push whose payload cannot be read: a push must always show something (userVisibleOnly). */
const GENERIC = {
  title: 'Security alert',
  body: 'There is new activity on your account. Open your security settings to review it.',
};

/** `base` as { origin, path } when it is an https URL (or http on a loopback host) without credentials; else null. */
function parseBase(text) {
  const url = safeUrl(text);
  if (!url) return null;
  return { origin: url.origin, path: url.pathname.replace(/\/+$/, '') };
}

/** A URL that is https, or http on a loopback host, with no user name or password; else null. */
function safeUrl(text) {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_URL_CHARS) return null;
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '') return null;
  if (url.protocol === 'https:') return url;
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  return url.protocol === 'http:' && loopback ? url : null;
}

/** `text` as a URL under `base` (same origin, path at or below the base path), normalized; else null. */
function allowedUrl(text, base) {
  if (!base) return null;
  const url = safeUrl(text);
  if (!url || url.origin !== base.origin) return null;
  const path = url.pathname;
  if (base.path !== '' && path !== base.path && !path.startsWith(`${base.path}/`)) return null;
  return url.href;
}

/** Trims a string from the payload to `max` characters; anything else is ''. */
function text(value, max) {
  if (typeof value !== 'string') return '';
  // Control characters other than a line break are dropped.
  const clean = value.replace(/[^\P{Cc}\n]/gu, '').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** The security settings page under the base (login-alerts' `${PUBLIC_BASE_URL}/settings`). */
function settingsUrl(base) {
  return base ? `${base.origin}${base.path}/settings` : null;
}

/**
 * What to show for a push message's text: { title, options } for showNotification. A payload that is
 * not the JSON login-alerts sends, or is too long, gives the generic notice that opens the settings.
 */
function notificationFor(payloadText, base) {
  let payload = null;
  if (typeof payloadText === 'string' && payloadText.length <= MAX_PAYLOAD_CHARS) {
    try {
      payload = JSON.parse(payloadText);
    } catch {
      payload = null;
    }
  }
  const ok = payload !== null && typeof payload === 'object' && !Array.isArray(payload);
  const title = ok ? text(payload.title, MAX_TITLE_CHARS) : '';
  const body = ok ? text(payload.body, MAX_BODY_CHARS) : '';
  const severity = ok && SEVERITIES.includes(payload.severity) ? payload.severity : 'info';
  const url = ok ? allowedUrl(payload.url, base) : null;
  const generic = title === '' || body === '';
  return {
    title: generic ? GENERIC.title : title,
    options: {
      body: generic ? GENERIC.body : body,
      // One notification per severity: a newer alert replaces the one before it, and still alerts.
      tag: severity,
      renotify: true,
      requireInteraction: severity === 'critical',
      data: {
        url: generic ? null : url,
        settingsUrl: settingsUrl(base),
        alertId: ok && !generic ? text(payload.alert_id, MAX_ID_CHARS) : '',
        kind: ok && !generic ? text(payload.kind, MAX_ID_CHARS) : '',
        severity,
      },
    },
  };
}

/**
 * The URL a click opens: the alert's own link ("This wasn't me", or the settings for a containment
 * notice), the settings for the `settings` action or when the alert has no usable link; each checked
 * against the base again, as notification data outlives worker versions. null: open nothing.
 */
function urlToOpen(data, action, base) {
  const d = data !== null && typeof data === 'object' ? data : {};
  const own = allowedUrl(d.url, base);
  const settings = allowedUrl(d.settingsUrl, base) ?? settingsUrl(base);
  if (action === 'settings') return settings;
  return own ?? settings;
}

/** The base this worker was registered with (`?base=`), or its own origin. */
function workerBase(location) {
  const url = new URL(location);
  const given = url.searchParams.get('base');
  return given === null ? parseBase(url.origin) : parseBase(given);
}

if (typeof ServiceWorkerGlobalScope !== 'undefined' && self instanceof ServiceWorkerGlobalScope) {
  const base = workerBase(self.location.href);

  // A new version takes over at once: it holds no state a running one could need.
  self.addEventListener('install', () => self.skipWaiting());

  self.addEventListener('push', (event) => {
    let payloadText = null;
    try {
      payloadText = event.data ? event.data.text() : null;
    } catch {
      payloadText = null;
    }
    const { title, options } = notificationFor(payloadText, base);
    event.waitUntil(self.registration.showNotification(title, options));
  });

  self.addEventListener('notificationclick', (event) => {
    event.notification.close();
    const url = urlToOpen(event.notification.data, event.action, base);
    if (url === null) return;
    event.waitUntil(self.clients.openWindow(url));
  });
}
