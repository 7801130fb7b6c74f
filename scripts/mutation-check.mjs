#!/usr/bin/env node
// Breaks one rule of src/ at a time and runs the tests that claim to hold it: each breakage must
// turn them red. Not part of `npm test` (it runs the named suites once per breakage); run it after
// changing a guard, a filter or a time boundary, and when adding one, add its breakage here.
//
//   node scripts/mutation-check.mjs                  every breakage below
//   node scripts/mutation-check.mjs revokePartner    those whose name contains the word
//
// It edits files in place and restores them from memory afterwards (also on Ctrl-C); run it on a
// clean work tree.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const MATRIX = 'test/auth/matrix.test.ts';

/** name, file, the exact text to change, what to change it to, the suites that must go red. */
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
    ['subscriptions', 'src/events/events.resolver.ts', 'const customer = requireCustomer(context);', 'const customer = context.caller as { customerId: number };'],
    ['ws onConnect', 'src/http/server.ts', "return caller.kind === 'customer';", 'return !!caller;'],
    ['guards: requireStaff any role', 'src/graphql/guards.ts', '(roles.length === 0 || roles.includes(ctx.caller.role))', 'true'],
    ['guards: requirePartnerScope any scope', 'src/graphql/guards.ts', "ctx.caller.kind === 'partner' && ctx.caller.scopes.includes(scope)", "ctx.caller.kind === 'partner'"],
    ['guards: requireStaffOrScope', 'src/graphql/guards.ts', "if (ctx.caller.kind === 'staff') return;", "if (ctx.caller.kind !== 'anonymous') return;"],
  ].map(([name, file, from, to = '', prepend = '', nth = 0]) => ({ name: `guard ${name}`, file, from, to, prepend, nth, tests: [MATRIX] })),
];

function apply(b) {
  const original = readFileSync(b.file, 'utf8');
  let at = -1;
  for (let i = 0; i <= b.nth; i++) {
    at = original.indexOf(b.from, at + 1);
    if (at < 0) throw new Error(`${b.name}: "${b.from}" (#${b.nth}) not found in ${b.file}; update the breakage`);
  }
  writeFileSync(b.file, (b.prepend ?? '') + original.slice(0, at) + b.to + original.slice(at + b.from.length));
  return original;
}

const only = process.argv.slice(2);
const chosen = BREAKAGES.filter((b) => only.length === 0 || only.some((w) => b.name.includes(w)));
const results = [];
let restore = null;
process.on('SIGINT', () => {
  restore?.();
  process.exit(130);
});
for (const b of chosen) {
  const original = apply(b);
  restore = () => writeFileSync(b.file, original);
  try {
    const run = spawnSync(process.execPath, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--silent', ...b.tests], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '--no-warnings' },
    });
    const failed = [...`${run.stdout}${run.stderr}`.matchAll(/✕ (.+?)(?: \(\d+ m?s\))?$/gm)].map((m) => m[1]);
    const red = run.status !== 0;
    results.push({ name: b.name, red, caughtBy: failed.slice(0, 3) });
    console.log(`${red ? 'RED  ' : 'GREEN'} ${b.name}${red ? `  <- ${failed.slice(0, 2).join(' | ') || 'suite failed to run'}` : '   NOT CAUGHT'}`);
  } finally {
    restore();
    restore = null;
  }
}
const missed = results.filter((r) => !r.red);
console.log(`\n${results.length - missed.length}/${results.length} breakages caught${missed.length ? `; not caught: ${missed.map((r) => r.name).join(', ')}` : ''}`);
process.exit(missed.length ? 1 : 0);
