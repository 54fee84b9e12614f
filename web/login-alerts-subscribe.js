// login-alerts subscribe helper (an ES module, no build step): registers the service worker, subscribes
// to web push with login-alerts' VAPID public key, and returns the subscription in the shape the
// `account.security` profile's `contacts.push_subscriptions[]` takes. Storing it in the profile is
// the account service's job.
//
//   import { subscribeToLoginAlerts } from '/push/login-alerts-subscribe.js';
//   const subscription = await subscribeToLoginAlerts({ baseUrl: 'https://alerts.example.com' });
//   // → { endpoint, keys: { p256dh, auth }, expiration_time }

/**
 * Registers the worker at `workerUrl` (default `/push/login-alerts-sw.js` on this page's origin) with
 * `baseUrl` (login-alerts' PUBLIC_BASE_URL: the only place its clicks may open) and resolves to the
 * ServiceWorkerRegistration once its worker is active.
 */
export async function registerLoginAlertsWorker({
  baseUrl,
  workerUrl = '/push/login-alerts-sw.js',
  scope,
} = {}) {
  if (!('serviceWorker' in navigator)) throw new Error('service workers are not available here');
  const url = new URL(workerUrl, location.href);
  if (baseUrl) url.searchParams.set('base', String(baseUrl).replace(/\/+$/, ''));
  const registration = await navigator.serviceWorker.register(url.href, scope ? { scope } : undefined);
  await activated(registration);
  return registration;
}

/**
 * Resolves once the registration has an active worker. Not `navigator.serviceWorker.ready`: that
 * waits for a worker controlling this page, which never comes when the scope does not cover it.
 */
function activated(registration) {
  const worker = registration.installing ?? registration.waiting;
  if (!worker) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (worker.state === 'activated') resolve();
      else if (worker.state === 'redundant')
        reject(new Error('the login-alerts service worker failed to install'));
    };
    worker.addEventListener('statechange', check);
    check();
  });
}

/** The VAPID public key login-alerts serves at `${baseUrl}/push/vapid-public-key` (base64url). */
export async function fetchVapidPublicKey(baseUrl) {
  const res = await fetch(`${String(baseUrl).replace(/\/+$/, '')}/push/vapid-public-key`, {
    credentials: 'omit',
  });
  if (!res.ok) throw new Error(`login-alerts has no VAPID public key (HTTP ${res.status})`);
  const { publicKey } = await res.json();
  if (typeof publicKey !== 'string' || !/^[A-Za-z0-9_-]{80,100}$/.test(publicKey)) {
    throw new Error('login-alerts answered with a malformed VAPID public key');
  }
  return publicKey;
}

/** base64url (padded or not) → bytes, as `applicationServerKey` takes them. */
export function base64UrlToBytes(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/**
 * A browser subscription (`PushSubscription` or its `toJSON()`) as the profile stores it:
 * `{ endpoint, keys: { p256dh, auth }, expiration_time }`, names in snake case.
 */
export function toProfileSubscription(subscription) {
  const json = typeof subscription?.toJSON === 'function' ? subscription.toJSON() : subscription;
  const { endpoint, keys, expirationTime } = json ?? {};
  if (typeof endpoint !== 'string' || !endpoint.startsWith('https://')) {
    throw new Error('the push subscription has no https endpoint');
  }
  if (typeof keys?.p256dh !== 'string' || typeof keys?.auth !== 'string') {
    throw new Error('the push subscription has no p256dh/auth keys');
  }
  return {
    endpoint,
    keys: { p256dh: keys.p256dh, auth: keys.auth },
    expiration_time: typeof expirationTime === 'number' ? expirationTime : null,
  };
}

/**
 * Asks for notification permission (call it from a click), registers the worker, and subscribes
 * with the VAPID key (`vapidPublicKey`, or fetched from `baseUrl`). An existing subscription made
 * with the same key is reused. Resolves to the profile's subscription shape.
 */
export async function subscribeToLoginAlerts({ baseUrl, vapidPublicKey, workerUrl, scope } = {}) {
  if (!('PushManager' in globalThis)) throw new Error('web push is not available in this browser');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(`notifications are not allowed (${permission})`);
  const key = vapidPublicKey ?? (await fetchVapidPublicKey(baseUrl));
  const registration = await registerLoginAlertsWorker({ baseUrl, workerUrl, scope });
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64UrlToBytes(key),
  });
  return toProfileSubscription(subscription);
}
