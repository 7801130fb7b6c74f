#!/usr/bin/env node
// Breaks one rule of src/ at a time and runs the tests that claim to hold it: each breakage must
// turn them red. Not part of `npm test` (it runs the named suites once per breakage); run it after
// changing a guard, a filter or a time boundary, and when adding one, add its breakage here.
//
//   node scripts/mutation-check.mjs                  every breakage below
//   node scripts/mutation-check.mjs revokePartner    those whose name contains the word
//   node scripts/mutation-check.mjs --together guard all chosen breakages at once, one run: for
//                                                    breakages each caught by its own test (the
//                                                    matrix has one test per field), a row failing
//                                                    whose name has the breakage's `catch` text
//
// It edits files in place and restores them from memory afterwards (also on Ctrl-C); run it on a
// clean work tree.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const MATRIX = 'test/auth/matrix.test.ts';
const AUTHZ = 'test/auth/authorization.test.ts';
const PF = 'test/transactions/partner-filters.test.ts';
const TILL = 'test/wallet/till.test.ts';
const SALES = 'test/transactions/sales.test.ts';
const SALE_EDGES = 'test/transactions/sale-edges.test.ts';

/** name, file, the exact text to change, what to change it to, the suites that must go red. */
/** The test each time breakage must fail (for --together: breakages of different tests at once). */
const CAUGHT_BY = {
  'points expire a day early': 'points earned with a 30-day expiry',
  'points expire a second late (job)': 'points earned with a 30-day expiry',
  'points expire a second late (amount)': 'points earned with a 30-day expiry',
  'pending released a second late': 'pending points become spendable',
  'pending released a day early': 'pending points become spendable',
  'store opens a second late': 'a store is open',
  'store closes a second late': 'a store is open',
  'listing shows a second late': 'a listing is on sale',
  'listing hides a second late': 'a listing is on sale',
  'lock outlives its ttl by a second': 'a lock holds its offer',
  'lock ttl a second long': 'a lock holds its offer',
  'offer valid a second late': 'an issued offer can be used',
  'offer valid a day long': 'an issued offer can be used',
  'tier window a second long': 'a rolling tier window',
  'sale max age a millisecond short': 'older than SALE_MAX_AGE_DAYS',
  'sale read at a till clock running ahead': 'whose clock runs ahead',
  'token cache outlives the token': 'a verified token kept in the cache',
  'campaign starts a second late': 'a campaign applies only when',
  'campaign ends a second late': 'a campaign applies only when'
};

const BREAKAGES = [
  // Authorization guards: every require* call of the resolvers (grep -rn "require[A-Z]" src/*/*.resolver.ts).
  ...[
    ['activityRules', 'src/activities/activity.resolver.ts', 'requireStaff(ctx);'],
    ['setActivityRule', 'src/activities/activity.resolver.ts', 'requireOperator(ctx);'],
    ['recordActivity', 'src/activities/activity.resolver.ts', "requirePartnerScope(ctx, 'activities:write');"],
    ['programStats', 'src/analytics/analytics.resolver.ts', 'requireStaff(ctx);'],
    ['auditLog', 'src/audit/audit.resolver.ts', 'requireStaff(ctx);'],
    ['me', 'src/customers/customer.resolver.ts', 'requireCustomer(ctx).customerId', '(ctx.caller as { customerId: number }).customerId'],
    ['customer', 'src/customers/customer.resolver.ts', "requireStaffOrScope(ctx, 'customers:read');"],
    ['upsertCustomer', 'src/customers/customer.resolver.ts', 'requireOperator(ctx);'],
    ['giftLists', 'src/gifts/gift.resolver.ts', 'requireStaff(ctx);'],
    ['createGiftList', 'src/gifts/gift.resolver.ts', 'requireOperator(ctx);'],
    ['claimGift', 'src/gifts/gift.resolver.ts', 'const customer = requireCustomer(ctx);', 'const customer = ctx.caller as CustomerCaller;', "import type { CustomerCaller } from '../context.js';\n"],
    ['offers', 'src/offers/offer.resolver.ts', 'requireStaff(ctx);'],
    ['createOffer', 'src/offers/offer.resolver.ts', 'requireOperator(ctx);', '', '', 0],
    ['updateOffer', 'src/offers/offer.resolver.ts', 'requireOperator(ctx);', '', '', 1],
    ['partners', 'src/partners/partner.resolver.ts', 'requireStaff(ctx);'],
    ['createPartner', 'src/partners/partner.resolver.ts', 'requireOperator(ctx);', '', '', 0],
    ['revokePartner', 'src/partners/partner.resolver.ts', 'requireOperator(ctx);', '', '', 1],
    ['createCurrency', 'src/points/points.resolver.ts', 'requireOperator(ctx);', '', '', 0],
    ['adjustPoints', 'src/points/points.resolver.ts', 'requireOperator(ctx);', '', '', 1],
    ['purchaseOffer', 'src/purchases/purchase.resolver.ts', 'const customer = requireCustomer(ctx);', 'const customer = ctx.caller as CustomerCaller;', "import type { CustomerCaller } from '../context.js';\n"],
    ['setEconomyRule', 'src/rules/rule.resolver.ts', 'requireOperator(ctx);', '', '', 0],
    ['campaigns', 'src/rules/rule.resolver.ts', 'requireStaff(ctx);'],
    ['createCampaign', 'src/rules/rule.resolver.ts', 'requireOperator(ctx);', '', '', 1],
    ['createRewardStore', 'src/stores/store.resolver.ts', 'requireOperator(ctx);', '', '', 0],
    ['addListing', 'src/stores/store.resolver.ts', 'requireOperator(ctx);', '', '', 1],
    ['removeListing', 'src/stores/store.resolver.ts', 'requireOperator(ctx);', '', '', 2],
    ['createTier', 'src/tiers/tier.resolver.ts', 'requireOperator(ctx);'],
    ['transaction', 'src/transactions/transaction.resolver.ts', "requireStaffOrScope(ctx, 'transactions:read');"],
    ['submitTransaction', 'src/transactions/transaction.resolver.ts', "requirePartnerScope(ctx, 'transactions:write');", "ctx.caller as PartnerCaller;", "import type { PartnerCaller } from '../context.js';\n", 0],
    ['reverseTransaction', 'src/transactions/transaction.resolver.ts', "requirePartnerScope(ctx, 'transactions:write');", "ctx.caller as PartnerCaller;", "import type { PartnerCaller } from '../context.js';\n", 1],
    ['lockOffer', 'src/wallet/wallet.resolver.ts', 'requirePartnerScope(ctx, TILL_SCOPE);', 'ctx.caller as PartnerCaller;', "import type { PartnerCaller } from '../context.js';\n", 0],
    ['redeemOffer', 'src/wallet/wallet.resolver.ts', 'requirePartnerScope(ctx, TILL_SCOPE);', 'ctx.caller as PartnerCaller;', "import type { PartnerCaller } from '../context.js';\n", 1],
    ['releaseOffer', 'src/wallet/wallet.resolver.ts', 'requirePartnerScope(ctx, TILL_SCOPE);', 'ctx.caller as PartnerCaller;', "import type { PartnerCaller } from '../context.js';\n", 2],
    // The only guard now that staff and partners may open a socket (they run queries there): caught by the matrix.
    ['subscriptions', 'src/events/events.resolver.ts', 'const customer = requireCustomer(context);', 'const customer = context.caller as { customerId: number };'],
    // The door (src/http/ws.ts) refuses a socket without credentials (4401); who may subscribe to what is the resolvers' (FORBIDDEN).
    ['ws onConnect', 'src/http/ws.ts', 'if (!key) {', 'if (key === undefined && false) {'],
    ['guards: requireStaff any role', 'src/graphql/guards.ts', '(roles.length === 0 || roles.includes(ctx.caller.role))', 'true'],
    ['guards: requirePartnerScope any scope', 'src/graphql/guards.ts', "ctx.caller.kind === 'partner' && ctx.caller.scopes.includes(scope)", "ctx.caller.kind === 'partner'"],
    ['guards: requireStaffOrScope', 'src/graphql/guards.ts', "if (ctx.caller.kind === 'staff') return;", "if (ctx.caller.kind !== 'anonymous') return;"],
  ].map(([name, file, from, to = '', prepend = '', nth = 0]) => ({ name: `guard ${name}`, catch: name.includes(' ') ? undefined : `.${name}:`, file, from, to, prepend, nth, tests: [MATRIX] })),
  // Partner filters: every query scoped by the calling partner (grep -rn "partner_id\|partnerId" src).
  ...[
    ['transaction(externalId) by partner', 'src/transactions/transaction.service.ts', 'or t.partner_id = ${partnerId})', 'or true)', [PF]],
    ['submitTransaction repeat by partner', 'src/transactions/transaction.service.ts', 'transactionByExternalId(em, d.externalId, partner.partnerId)', 'transactionByExternalId(em, d.externalId, null)', [PF]],
    ['reverseTransaction by partner', 'src/transactions/transaction.service.ts', 'where partner_id = ${partner.partnerId} and external_id', 'where external_id', [PF]],
    ['node(SalesTransaction) by partner', 'src/graphql/node.resolver.ts', 'ctx.caller.partnerId === row.partnerId', 'true', [PF]],
    ['node: partners reach only sales', 'src/graphql/node.resolver.ts', "type !== 'SalesTransaction' || ", '', [PF]],
    ['lock holder is a partner', 'src/wallet/redemption.service.ts', ' && row.lockPartnerId === partnerId', '', [TILL]],
    ['redeemOffer replay by partner', 'src/wallet/redemption.service.ts', 'and io.redeemed_by_partner_id = ${partner.partnerId} ', '', [TILL]],
    ['customer by caller (maySeeCustomer)', 'src/graphql/guards.ts', "(ctx.caller.kind === 'customer' && ctx.caller.customerId === customerId)", "ctx.caller.kind === 'customer'", [AUTHZ]],
    ['sale customer needs customers:read', 'src/transactions/transaction.resolver.ts', "partnerHolds(ctx, 'customers:read')", "ctx.caller.kind === 'partner'", [SALES]],
  ].map(([name, file, from, to, tests]) => ({ name: `filter ${name}`, file, from, to, nth: 0, tests })),
  // Time boundaries: each a day off, or a second off (<= to <).
  ...[
    ['points expire a day early', 'src/points/ledger.service.ts', 'make_interval(days => c.expiry_days)', 'make_interval(days => c.expiry_days - 1)'],
    ['points expire a second late (job)', 'src/points/expiry.service.ts', 'expires_at <= ${now} order by account_id', 'expires_at < ${now} order by account_id'],
    ['points expire a second late (amount)', 'migrations/Migration20261130034209.ts', 'e.remaining > 0 and e.expires_at <= p_at', 'e.remaining > 0 and e.expires_at < p_at'], // ledger_due: what every balance read counts as expired
    ['pending released a second late', 'migrations/Migration20261130034209.ts', 'p.available_at <= p_at', 'p.available_at < p_at'], // ledger_due: what every balance read counts as released
    ['pending released a day early', 'src/transactions/processor.ts', 'a.pendingDays * 86_400_000', '(a.pendingDays - 1) * 86_400_000'],
    ['store opens a second late', 'src/stores/store.service.ts', 's.starts_at <= ${now}', 's.starts_at < ${now}'],
    ['store closes a second late', 'src/stores/store.service.ts', 's.ends_at > ${now}', 's.ends_at >= ${now}'],
    ['listing shows a second late', 'src/stores/store.service.ts', 'l.visible_from <= ${now}', 'l.visible_from < ${now}'],
    ['listing hides a second late', 'src/stores/store.service.ts', 'l.visible_until > ${now}', 'l.visible_until >= ${now}'],
    ['lock outlives its ttl by a second', 'migrations/Migration20261123190136.ts', "lock_expires_at <= at then 'ISSUED'", "lock_expires_at < at then 'ISSUED'"],
    ['lock ttl a second long', 'src/wallet/redemption.service.ts', '* 1000);', '* 1000 + 1000);'],
    ['offer valid a second late', 'migrations/Migration20261123190136.ts', "expires_at <= at then 'EXPIRED'", "expires_at < at then 'EXPIRED'"],
    ['offer valid a day long', 'src/wallet/wallet.service.ts', 'offer.validDays * 86_400_000', '(offer.validDays + 1) * 86_400_000'],
    ['tier window a second long', 'migrations/Migration20261130120000.ts', 'e.created_at > p_at - make_interval(days => p_window_days)', 'e.created_at >= p_at - make_interval(days => p_window_days)', 1], // qualifying_points_at as up() writes it (nth 0 is down()'s)
    ['token cache outlives the token', 'src/http/auth.ts', 'until: Math.min((claims.exp ?? 0) * 1000, now + 60_000)', 'until: now + 60_000'],
    ['campaign starts a second late', 'src/rules/earning.ts', 'at < new Date(c.startsAt).getTime()', 'at <= new Date(c.startsAt).getTime()'],
    ['campaign ends a second late', 'src/rules/earning.ts', 'at >= new Date(c.endsAt).getTime()', 'at > new Date(c.endsAt).getTime()'],
    ['sale max age a millisecond short', 'src/transactions/transaction.service.ts', 'd.occurredAt.getTime() < now.getTime() - ctx.config.saleMaxAgeDays', 'd.occurredAt.getTime() <= now.getTime() - ctx.config.saleMaxAgeDays', 0, SALE_EDGES],
    ['sale read at a till clock running ahead', 'src/transactions/processor.ts', 'Math.min(new Date(sale.occurredAt).getTime(), new Date(sale.receivedAt).getTime())', 'new Date(sale.occurredAt).getTime()', 0, SALE_EDGES],
  ].map(([name, file, from, to, nth = 0, suite]) => ({
    name: `time ${name}`,
    catch: CAUGHT_BY[name],
    file,
    from,
    to,
    nth,
    tests: [suite ?? (file.endsWith('auth.ts') ? 'test/auth/token-cache.test.ts' : file.endsWith('earning.ts') ? 'test/transactions/pricing.test.ts' : 'test/time/boundaries.test.ts')],
  })),
  // What a change writes, that it writes it in its own transaction, and who it is refused to.
  ...[
    ['events outside the transaction', 'src/events/outbox.service.ts', 'await query(\n    em,', 'await query(\n    em.fork(),', 0, ['test/events/subscriptions.test.ts']],
    ['suspended customer at the till (redeem)', 'src/wallet/redemption.service.ts', '!LIVE.includes(row.status) || !row.customerActive) throw notRedeemable();', '!LIVE.includes(row.status)) throw notRedeemable();', 1, [PF]],
    ['suspended customer at the till (lock)', 'src/wallet/redemption.service.ts', '!LIVE.includes(row.status) || !row.customerActive) throw notRedeemable();', '!LIVE.includes(row.status)) throw notRedeemable();', 0, [PF]],
    ['suspended customer buys', 'src/purchases/purchase.service.ts', 'if (customer.status !== CustomerStatus.ACTIVE) {', 'if (false) {', 0, ['test/purchases/purchase-rules.test.ts', 'test/staff/staff-operations.test.ts']],
    ['suspended customer claims a gift', 'src/gifts/gift.service.ts', 'if (customer.status !== CustomerStatus.ACTIVE) {', 'if (false) {', 0, ['test/gifts/gift-lists.test.ts']],
    ["suspended customer's sale earns", 'src/transactions/processor.ts', "if (!customer || customer.status !== 'ACTIVE')", 'if (!customer)', 0, [SALES]],
    ["one customer's sales one at a time", 'src/transactions/processor.ts', "pg_advisory_xact_lock(hashtextextended('sales-of-customer:'", "pg_advisory_xact_lock_shared(hashtextextended('sales-of-customer:'", 0, [SALES]], // a shared lock never waits for another
  ].map(([name, file, from, to, nth, tests]) => ({ name: `writes ${name}`, file, from, to, nth, tests })),
  // Every staff change is recorded with who and why (SPEC §4): each recordAudit call skipped.
  ...[
    ['createRewardStore', 'src/stores/store.service.ts', 0],
    ['addListing', 'src/stores/store.service.ts', 1],
    ['removeListing', 'src/stores/store.service.ts', 2],
    ['createOffer', 'src/offers/offer.service.ts', 0],
    ['updateOffer', 'src/offers/offer.service.ts', 1],
    ['createGiftList', 'src/gifts/gift.service.ts', 0],
    ['upsertCustomer', 'src/customers/customer.service.ts', 0], // createCustomer and updateCustomer
    ['createCurrency', 'src/points/points.service.ts', 0],
    ['adjustPoints', 'src/points/points.service.ts', 1],
    ['setEconomyRule', 'src/rules/rule.service.ts', 0],
    ['createCampaign', 'src/rules/rule.service.ts', 1],
    ['setActivityRule', 'src/activities/activity.service.ts', 0],
    ['createPartner', 'src/partners/partner.service.ts', 0],
    ['revokePartner', 'src/partners/partner.service.ts', 1],
    ['createTier', 'src/tiers/tier.service.ts', 0],
  ].map(([name, file, nth]) => ({ name: `audit ${name}`, catch: `› ${name === 'upsertCustomer' ? 'createCustomer' : name}`, file, from: 'await recordAudit(', to: 'if (Number.isNaN(0)) await recordAudit(', nth, tests: ['test/staff/audit.test.ts'] })),
  // The demo POS key re-derived from a new JWT_SECRET at start-up (newcomer-16): not a staff change, but a credential's.
  { name: 'audit rekeyDemoPartner', file: 'src/demo/seed.ts', from: 'await recordAudit(', to: 'if (Number.isNaN(0)) await recordAudit(', nth: 0, tests: ['test/startup/demo-key.test.ts'] },
];

function apply(b, original = readFileSync(b.file, 'utf8')) {
  let at = -1;
  for (let i = 0; i <= b.nth; i++) {
    at = original.indexOf(b.from, at + 1);
    if (at < 0) throw new Error(`${b.name}: "${b.from}" (#${b.nth}) not found in ${b.file}; update the breakage`);
  }
  return original.slice(0, at) + b.to + original.slice(at + b.from.length);
}

// The project's Node (npm scripts put node_modules/.bin first), else this one.
const NODE = existsSync('node_modules/.bin/node') ? 'node_modules/.bin/node' : process.execPath;
let child = null;

/** Runs jest on `tests`; resolves with its exit status and output. */
function jest(tests) {
  return new Promise((resolve) => {
    let output = '';
    child = spawn(NODE, ['node_modules/jest/bin/jest.js', '--silent', ...tests], {
      env: { ...process.env, NODE_OPTIONS: '--no-warnings' },
    });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (status) => {
      child = null;
      resolve({ status, stdout: output, stderr: '' });
    });
  });
}

/**
 * The names of the tests jest's output says failed: `● describe › test` (jest's own reporter) or,
 * under jest-light-runner (this project's runner), an unindented `describe > test` line followed by
 * its indented error, read with ' › ' for ' > ' so that a breakage's `catch` matches either. Before
 * this read the light runner's lines, a caught breakage was labelled "suite failed to run" and
 * `--together` caught nothing (migrate-17).
 * @param output jest's stdout and stderr
 * @returns each failed test's name once
 */
function failedTests(output) {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const names = new Set();
  for (const [i, line] of lines.entries()) {
    const bullet = /^\s*● (.+?)\s*$/.exec(line);
    if (bullet) names.add(bullet[1]);
    else if (/^\S.* > /.test(line) && /^\s+\S/.test(lines[i + 1] ?? '') && !/^(PASS|FAIL|Tests?:|Test Suites:|Snapshots:|Time:|Ran all|Summary)/.test(line)) {
      names.add(line.trim().replaceAll(' > ', ' › '));
    }
  }
  return [...names];
}

const together = process.argv.includes('--together');
const only = process.argv.slice(2).filter((a) => a !== '--together');
const chosen = BREAKAGES.filter((b) => (only.length === 0 || only.some((w) => b.name.includes(w))) && (!together || b.catch));
const results = [];
let restore = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child?.kill('SIGTERM');
    restore?.();
    process.exit(130);
  });
}
if (together) {
  const shared = chosen.filter((b, i) => chosen.findIndex((c) => c.catch === b.catch) !== i);
  if (shared.length) {
    console.error(`--together needs one breakage per test; these share theirs: ${shared.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  // Per file: later occurrences first, so the earlier ones keep their index; each import once.
  const originals = new Map();
  for (const b of chosen) if (!originals.has(b.file)) originals.set(b.file, readFileSync(b.file, 'utf8'));
  restore = () => originals.forEach((text, file) => writeFileSync(file, text));
  try {
    for (const [file, text] of originals) {
      const mine = chosen.filter((b) => b.file === file).sort((a, b) => b.nth - a.nth);
      let broken = text;
      for (const b of mine) broken = apply(b, broken);
      writeFileSync(file, [...new Set(mine.map((b) => b.prepend ?? ''))].join('') + broken);
    }
    const tests = [...new Set(chosen.flatMap((b) => b.tests))];
    const run = await jest(tests);
    const failed = failedTests(`${run.stdout}`);
    for (const b of chosen) {
      const by = failed.filter((f) => f.includes(b.catch ?? '\u0000'));
      results.push({ name: b.name, red: by.length > 0 });
      console.log(`${by.length ? 'RED  ' : 'GREEN'} ${b.name}${by.length ? `  <- ${by.join(' | ')}` : '   NOT CAUGHT'}`);
    }
  } finally {
    restore();
    restore = null;
  }
} else {
  for (const b of chosen) {
    const original = readFileSync(b.file, 'utf8');
    writeFileSync(b.file, (b.prepend ?? '') + apply(b, original));
    restore = () => writeFileSync(b.file, original);
    try {
      const run = await jest(b.tests);
      const failed = failedTests(`${run.stdout}`);
      const red = run.status !== 0;
      results.push({ name: b.name, red });
      console.log(`${red ? 'RED  ' : 'GREEN'} ${b.name}${red ? `  <- ${failed.slice(0, 2).join(' | ') || `jest exited ${run.status}, naming no failed test`}` : '   NOT CAUGHT'}`);
    } finally {
      restore();
      restore = null;
    }
  }
}
const missed = results.filter((r) => !r.red);
console.log(`\n${results.length - missed.length}/${results.length} breakages caught${missed.length ? `; not caught: ${missed.map((r) => r.name).join(', ')}` : ''}`);
process.exit(missed.length ? 1 : 0);
