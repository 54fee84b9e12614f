/**
 * The layers of login-alerts, checked by `npm run check` (dependency-cruiser). Arrows only point
 * down:
 *
 *   consumers/, src/cli/          entry points: wiring only
 *   src/runtime/                  composition: the one place that knows every part
 *   src/http/                     routes; never imported by the core
 *   src/pipeline/  (decide)       decode → read state → dedupe → enrich → assess → emit
 *   src/notify/    (deliver)      select → claim → render → send → classify → settle
 *   src/respond/   (contain)      remember → select → claim → act → classify → record
 *   src/signals/   (transmit)     decode → events → address → sign → queue; push; streams
 *   src/channels/, src/kafka/, src/state/, src/ingest/, src/responders/   edges: providers, broker,
 *                                 stores, IdP shapes, IdP admin APIs
 *   src/risk/, src/enrich/, src/contracts/               pure
 *   src/observe/                  logger, masking, metrics, health, outcome log: usable by every layer
 *   src/errors.ts, src/config/    shared by all
 */
const forbid = (name, comment, from, to) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle anywhere.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    forbid(
      'pure-stays-pure',
      'Validation, enrichment and risk are pure: they import no edge, flow, route or wiring.',
      '^src/(contracts|enrich|risk)/',
      '^(src/(channels|kafka|state|ingest|responders|notify|respond|signals|pipeline|http|runtime|cli)/|consumers/)',
    ),
    forbid(
      'edges-point-down',
      'Providers, the broker, the stores and the IdP mappers know nothing of the flows above them.',
      '^src/(channels|kafka|state|ingest|responders)/',
      '^(src/(notify|respond|signals|pipeline|http|runtime|cli)/|consumers/)',
    ),
    forbid(
      'deliver-below-decide',
      'Delivery never imports the decision code, routes or wiring.',
      '^src/notify/',
      '^(src/(pipeline|http|runtime|cli)/|consumers/)',
    ),
    forbid(
      'contain-beside-deliver',
      'The respond flow imports neither the decision code nor delivery, routes or wiring; delivery never imports it.',
      '^src/respond/',
      '^(src/(pipeline|notify|channels|http|runtime|cli)/|consumers/)',
    ),
    forbid(
      'transmit-beside-deliver',
      'The Shared Signals flow imports neither the decision code nor the respond flow, routes or wiring; it shares only the backoff schedule and the locale negotiation with delivery, and nothing else imports it.',
      '^src/signals/',
      '^(src/(pipeline|respond|responders|http|runtime|cli)/|src/notify/(?!(backoff|locale)\\.ts)|consumers/)',
    ),
    forbid(
      'nothing-below-imports-transmit',
      'The decision code, delivery and the respond flow never import the Shared Signals flow.',
      '^src/(pipeline|notify|respond)/',
      '^src/signals/',
    ),
    forbid(
      'deliver-never-imports-contain',
      'Delivery and the decision code never import the respond flow or the IdP admin clients.',
      '^src/(notify|pipeline)/',
      '^src/(respond|responders)/',
    ),
    forbid(
      'decide-never-imports-deliver',
      'The decision code never imports delivery: which channels an account has is a profile question.',
      '^src/pipeline/',
      '^(src/(notify|channels|http|runtime|cli)/|consumers/)',
    ),
    forbid(
      'http-is-not-core',
      'Routes call into the layers below; nothing below imports a route.',
      '^src/(?!http/|runtime/|cli/)',
      '^src/http/',
    ),
    forbid(
      'consumers-own-their-interfaces',
      'Entry points receive what they need through consumers/deps.ts; they import no composition code.',
      '^consumers/',
      '^src/(runtime|cli|http)/',
    ),
    forbid(
      'runtime-below-cli',
      'The composition root never imports a command.',
      '^src/runtime/',
      '^src/cli/',
    ),
    forbid(
      'observe-at-the-bottom',
      'Observability is usable by every layer, so it imports only contracts, errors and config.',
      '^src/observe/',
      '^(src/(?!observe/|contracts/|errors\\.ts|config/)|consumers/)',
    ),
    forbid(
      'nothing-imports-tests',
      'The product never imports test or bench code.',
      '^(src|consumers)/',
      '^(test|bench)/',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
