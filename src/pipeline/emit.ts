import type { Config } from '../config/config.js';
import type { LoginAlert } from '../contracts/login-alert.js';
import { notificationRecord, notificationRequest } from '../contracts/notification.js';
import { toOcsfAuthentication } from '../contracts/ocsf.js';
import type { OutRecord } from '../kafka/publisher.js';

/** Every alert is published twice: as a LoginAlert and in its OCSF form. */
export function alertRecords(
  alert: LoginAlert,
  topics: Pick<Config['topics'], 'loginAlerts' | 'loginAlertsOcsf'>,
): OutRecord[] {
  const a = alert.account_id;
  return [
    { topic: topics.loginAlerts, key: a, value: alert },
    { topic: topics.loginAlertsOcsf, key: a, value: toOcsfAuthentication(alert) },
  ];
}

/** The records an alert goes out as: the alert, its OCSF form and (when someone is told) a request. */
export function alertOutputs(alert: LoginAlert, topics: Config['topics']): OutRecord[] {
  const out = alertRecords(alert, topics);
  if (alert.enrolled && !alert.stale && alert.channels.length > 0) {
    out.push(notificationRecord(topics.notifications, notificationRequest({ alert })));
  }
  return out;
}
