/**
 * Pure: which Shared Signals a Kafka record means. A record gives zero or more SET bodies; each
 * body's `id` and `txn` are derived from the record alone, so a replay after a crash yields the
 * same SETs (the stream's `jti` is derived from `id`, see jtiFor).
 */
import { createHash } from 'node:crypto';
import type { AuthMethod } from '../contracts/auth-event.js';
import type { LoginAlert } from '../contracts/login-alert.js';
import type { ResponseRecord } from '../contracts/records.js';
import { accountSubject, EVENT_TYPES, type SubId } from '../contracts/shared-signals.js';
import { resolveLocale } from '../notify/locale.js';

/** One event about one account, before it is addressed to a stream and signed. */
export interface SetBody {
  /** Stable per (record, event): the same record always gives the same id. */
  id: string;
  /** Shared by every SET of one cause: a report's session-revoked and its credential-change-required. */
  txn: string;
  account: string;
  sub_id: SubId;
  type: string;
  payload: Record<string, unknown>;
}

/** CAEP 1.0 §3.3.1 credential types, for the methods that name a credential. */
const CREDENTIAL_TYPES: Partial<Record<AuthMethod, string>> = {
  passkey: 'fido2-platform',
  security_key: 'fido2-roaming',
  password: 'password',
  password_otp: 'app',
  password_sms: 'phone-sms',
};

/**
 * What the person is told a relying party's session ended for (CAEP `reason_user`), in each
 * language the alerts speak (templates/messages/), with each catalog's own words for a sign-in.
 */
export const REASON_USER: Readonly<Record<string, string>> = {
  en: 'You reported a sign-in to your account that was not you, so this session was signed out.',
  'pt-BR': 'Você informou um acesso à sua conta que não foi você, então esta sessão foi encerrada.',
  es: 'Informaste de un inicio de sesión en tu cuenta que no hiciste tú, así que esta sesión se cerró.',
  fr: "Vous avez signalé une connexion à votre compte qui n'était pas de vous : cette session a donc été fermée.",
  de: 'Sie haben eine Anmeldung bei Ihrem Konto gemeldet, die nicht von Ihnen stammte. Deshalb wurde diese Sitzung beendet.',
  it: 'Hai segnalato un accesso al tuo account che non hai effettuato tu, quindi questa sessione è stata chiusa.',
  ja: '身に覚えのないアカウントへのサインインを報告いただいたため、このセッションはサインアウトされました。',
  ko: '본인이 하지 않은 계정 로그인을 신고하셨으므로 이 세션은 로그아웃되었습니다.',
  'zh-CN': '你报告了一次并非本人进行的账号登录，因此此会话已退出。',
  hi: 'आपने अपने खाते में ऐसे साइन-इन की रिपोर्ट की जो आपने नहीं किया था, इसलिए यह सेशन साइन आउट कर दिया गया।',
  ar: 'تم الإبلاغ عن تسجيل دخول إلى حسابك لم يكن منك، لذلك تم تسجيل الخروج من هذه الجلسة.',
  ru: 'Вы сообщили о входе в ваш аккаунт, который выполнили не вы, поэтому этот сеанс был завершён.',
};
const REASON_LANGUAGES = Object.keys(REASON_USER);

/** A digest short enough for an id, long enough never to collide by chance. */
const digest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 32);

/** The transaction of everything one report caused, from the reported alert's id. */
export const reportTxn = (reportedAlertId: string): string => `tx_${digest(`report\0${reportedAlertId}`)}`;

/** A SET's jti on one stream: the same body on the same stream always gets the same jti. */
export const jtiFor = (bodyId: string, streamId: string): string => digest(`${bodyId}\0${streamId}`);

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/** The SETs a LoginAlert means: credential-change for an enrolled account, RISC on a report. */
export function setsFromAlert(alert: LoginAlert): SetBody[] {
  const sub_id = accountSubject(alert.account_id);
  if (alert.kind === 'user_reported') {
    return [
      {
        id: `${alert.alert_id}|risc-ccr`,
        txn: reportTxn(alert.reported_alert_id ?? alert.alert_id),
        account: alert.account_id,
        sub_id,
        type: EVENT_TYPES.credentialChangeRequired,
        payload: {},
      },
    ];
  }
  const change = credentialChange(alert);
  if (change === undefined || !alert.enrolled) return [];
  return [
    {
      id: `${alert.alert_id}|caep-cc`,
      txn: `tx_${digest(`alert\0${alert.alert_id}`)}`,
      account: alert.account_id,
      sub_id,
      type: EVENT_TYPES.credentialChange,
      payload: change,
    },
  ];
}

/** CAEP credential-change for credential.added / credential.removed with a credential type. */
function credentialChange(alert: LoginAlert): Record<string, unknown> | undefined {
  const changeType =
    alert.event_type === 'credential.added'
      ? 'create'
      : alert.event_type === 'credential.removed'
        ? 'delete'
        : undefined;
  const credentialType = alert.auth_method === undefined ? undefined : CREDENTIAL_TYPES[alert.auth_method];
  if (alert.kind !== 'account_change' || changeType === undefined || credentialType === undefined)
    return undefined;
  const payload: Record<string, unknown> = {
    credential_type: credentialType,
    change_type: changeType,
    event_timestamp: seconds(alert.occurred_at),
  };
  if (alert.authenticator !== undefined) payload.friendly_name = alert.authenticator;
  if (alert.aaguid !== undefined && credentialType.startsWith('fido2')) payload.fido2_aaguid = alert.aaguid;
  return payload;
}

/**
 * CAEP session-revoked for a session end a report caused and the IdP confirmed (`done`), with the
 * reason in the account's language (`locale`, BCP 47; English when there is no text for it).
 */
export function setsFromResponse(record: ResponseRecord, locale: string | undefined): SetBody[] {
  if (record.status !== 'done' || record.action === 'credential_removed') return [];
  const language = reasonLanguage(locale);
  return [
    {
      id: `${record.response_id}|caep-sr`,
      txn: reportTxn(record.alert_id),
      account: record.account_id,
      sub_id: accountSubject(record.account_id),
      type: EVENT_TYPES.sessionRevoked,
      payload: {
        initiating_entity: 'user',
        reason_user: { [language]: REASON_USER[language]! },
        event_timestamp: seconds(record.at),
      },
    },
  ];
}

/** The reason's language, negotiated as the alerts' own (same language and script, else English). */
export function reasonLanguage(locale: string | undefined): string {
  return resolveLocale(locale, REASON_LANGUAGES, 'en', (l) => l).template;
}

/** SSF 1.0 §8.1.4.2: the verification event for a stream, carrying the receiver's `state`. */
export function verificationBody(streamId: string, state: string | undefined, requestId: string): SetBody {
  return {
    id: `verify|${requestId}`,
    txn: `tx_${digest(`verify\0${requestId}`)}`,
    account: '',
    sub_id: { format: 'opaque', id: streamId },
    type: EVENT_TYPES.verification,
    payload: state === undefined ? {} : { state },
  };
}
