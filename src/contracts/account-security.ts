import { z } from 'zod';

export const CHANNELS = ['email', 'sms', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];

const isLocale = (v: string) => {
  try {
    return Intl.getCanonicalLocales(v).length === 1;
  } catch {
    return false;
  }
};
const isTimeZone = (v: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return true;
  } catch {
    return false;
  }
};

export const PushSubscriptionSchema = z.looseObject({
  endpoint: z.url({ protocol: /^https$/, error: 'must be an https URL' }),
  keys: z.looseObject({ p256dh: z.string().min(1), auth: z.string().min(1) }),
  expiration_time: z.number().nullable().optional(),
});
export type PushSubscription = z.output<typeof PushSubscriptionSchema>;

/** AccountSecurity v1: an account's full alert profile; last write (by updated_at) wins. */
export const AccountSecuritySchema = z
  .looseObject({
    account_id: z.string().min(1).max(128),
    schema_version: z.literal(1),
    updated_at: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp' }),
    advanced_security: z.looseObject({ enrolled: z.boolean() }),
    contacts: z
      .looseObject({
        email: z.email().optional(),
        phone: z
          .string()
          .regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 phone number')
          .optional(),
        push_subscriptions: z.array(PushSubscriptionSchema).max(20).optional(),
      })
      .optional(),
    preferences: z
      .looseObject({
        channels: z.array(z.enum(CHANNELS)).optional(),
        locale: z.string().max(35).refine(isLocale, 'must be a BCP 47 language tag').optional(),
        timezone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone').optional(),
      })
      .optional(),
  })
  .meta({ id: 'AccountSecurity', title: 'AccountSecurity v1' });

export type AccountSecurity = z.output<typeof AccountSecuritySchema>;
