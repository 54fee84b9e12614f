// The OCSF Authentication (3002) record as login-alerts publishes it: the schema alone, so the
// mapping in ocsf.ts and the JSON Schema generator share one definition.
import { z } from 'zod';
import { AUTH_METHODS } from './auth-event.js';
import { ALERT_KINDS, DeviceSchema, GeoSchema, REASONS } from './login-alert.js';

/**
 * OCSF schema version the events follow. 1.3.0 is widely supported and already has `location.lat/long`;
 * nothing used here was removed up to 1.8.0 (only `coordinates` is deprecated, and kept for older readers).
 */
export const OCSF_VERSION = '1.3.0';
/** Authentication (3002) in Identity & Access Management (3). */
export const OCSF_AUTHENTICATION = { category_uid: 3, class_uid: 3002 } as const;

const text = z.string().min(1);
const ids = <const T extends readonly [number, ...number[]]>(values: T) => z.literal(values);
// In OCSF, an enum id of 99 (Other) must come with its caption attribute saying what "other" is.
const otherNeedsCaption = (id: number | undefined, caption: string | undefined) => id !== 99 || !!caption;

const LocationSchema = z
  .strictObject({
    city: text.optional(),
    country: z.string().length(2).optional(),
    region: text.optional(),
    desc: text.optional(),
    lat: z.number().min(-90).max(90).optional(),
    long: z.number().min(-180).max(180).optional(),
    coordinates: z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]).optional(),
  })
  .refine((l) => l.city ?? l.country ?? l.region, 'location needs at least one of city, country, region');

const SrcEndpointSchema = z.strictObject({
  ip: z.union([z.ipv4(), z.ipv6()]),
  location: LocationSchema.optional(),
  autonomous_system: z
    .strictObject({ number: z.number().int().optional(), name: text.optional() })
    .refine((a) => a.number !== undefined || a.name !== undefined, 'needs a number or a name')
    .optional(),
  os: z
    .strictObject({
      name: text,
      version: text.optional(),
      type_id: ids([0, 99, 100, 101, 200, 201, 300, 301, 302, 400, 401, 402]),
      type: text.optional(),
    })
    .optional(),
  type_id: ids([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 99]).optional(),
  type: text.optional(),
});

/** What OCSF has no attribute for, kept under `unmapped` (the parsed device, network flags, our decision). */
const UnmappedSchema = z.strictObject({
  alert_kind: z.enum(ALERT_KINDS),
  reasons: z.array(z.enum(REASONS)),
  event_id: text,
  event_type: z.string().optional(),
  auth_method: z.enum(AUTH_METHODS).optional(),
  device: DeviceSchema.optional(),
  network: GeoSchema.omit({
    country_code: true,
    country_name: true,
    region: true,
    city: true,
    latitude: true,
    longitude: true,
    asn: true,
    as_org: true,
  }).optional(),
  failure_count: z.number().int().optional(),
  reported_alert_id: z.string().optional(),
  enrolled: z.boolean(),
  stale: z.boolean(),
});

/** An OCSF 1.x Authentication (class 3002) event as login-alerts publishes it; strict, so typos fail. */
export const OcsfAuthenticationSchema = z
  .strictObject({
    category_uid: z.literal(OCSF_AUTHENTICATION.category_uid),
    category_name: z.literal('Identity & Access Management').optional(),
    class_uid: z.literal(OCSF_AUTHENTICATION.class_uid),
    class_name: z.literal('Authentication').optional(),
    activity_id: ids([0, 1, 2, 3, 4, 5, 6, 99]),
    activity_name: text.optional(),
    type_uid: z.number().int(),
    type_name: text.optional(),
    time: z.number().int().nonnegative(),
    severity_id: ids([0, 1, 2, 3, 4, 5, 6, 99]),
    severity: text.optional(),
    status_id: ids([0, 1, 2, 99]),
    status: text.optional(),
    count: z.number().int().positive().optional(),
    message: text.optional(),
    metadata: z.strictObject({
      version: z.string().regex(/^1\.\d+\.\d+$/, 'must be an OCSF 1.x version'),
      product: z.strictObject({ name: text, vendor_name: text }),
      uid: text,
      original_time: text.optional(),
      processed_time: z.number().int().optional(),
    }),
    user: z.strictObject({ uid: text, type_id: ids([0, 1, 2, 3, 99]).optional(), type: text.optional() }),
    // Authentication requires at least one of service and dst_endpoint; login-alerts always knows the service.
    service: z.strictObject({ name: text }),
    session: z.strictObject({ uid: text }).optional(),
    src_endpoint: SrcEndpointSchema.optional(),
    auth_protocol_id: ids([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99]).optional(),
    auth_protocol: text.optional(),
    is_mfa: z.boolean().optional(),
    is_remote: z.boolean().optional(),
    observables: z
      .array(z.strictObject({ name: text, type_id: z.number().int(), type: text, value: text }))
      .optional(),
    unmapped: UnmappedSchema,
  })
  .superRefine((e, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (e.type_uid !== e.class_uid * 100 + e.activity_id)
      issue('type_uid', 'must be class_uid * 100 + activity_id');
    if (!otherNeedsCaption(e.activity_id, e.activity_name))
      issue('activity_name', 'required when activity_id is 99');
    if (!otherNeedsCaption(e.status_id, e.status)) issue('status', 'required when status_id is 99');
    if (!otherNeedsCaption(e.auth_protocol_id, e.auth_protocol)) issue('auth_protocol', 'required when 99');
  })
  .meta({
    id: 'OcsfAuthentication',
    title: `OCSF ${OCSF_VERSION} Authentication (3002), as login-alerts publishes it`,
  });
export type OcsfAuthentication = z.output<typeof OcsfAuthenticationSchema>;
