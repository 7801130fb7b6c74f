// Hostile pass 6: economyPoints computed exactly (BigInt, cents summed per category multiplier) against the
// float form it replaced, on 1-line and 500-line sales; a copy of both forms, so it runs without a build:
//   flock /work/wt/bench.lock node_modules/.bin/node bench/earning-exact.mjs
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;
function exactDecimal(value) { const m = DECIMAL_TEXT.exec(typeof value === 'number' ? String(value) : value.trim()); const f = m[3] ?? ''; const e = Number(m[4] ?? 0); let n = BigInt(`${m[1]}${m[2]}${f}`); let scale = f.length - e; if (scale < 0) { n *= 10n ** BigInt(-scale); scale = 0; } return { n, scale }; }
const times = (a, b) => ({ n: a.n * b.n, scale: a.scale + b.scale });
const plus = (a, b) => { const s = Math.max(a.scale, b.scale); return { n: a.n * 10n ** BigInt(s - a.scale) + b.n * 10n ** BigInt(s - b.scale), scale: s }; };
function floorExact({ n, scale }) { const u = 10n ** BigInt(scale); return Number(n >= 0n ? n / u : -((-n + u - 1n) / u)); }
const exactPoints = (net, perUnit, cat, tier) => { const by = new Map(); for (let i = 0; i < net.length; i++) by.set(cat[i], (by.get(cat[i]) ?? 0n) + BigInt(net[i])); let paid = { n: 0n, scale: 0 }; for (const [m, c] of by) paid = plus(paid, times({ n: c, scale: 0 }, exactDecimal(m))); return floorExact(times(times(times(paid, { n: 1n, scale: 2 }), exactDecimal(perUnit)), exactDecimal(tier))); };
const floatPoints = (net, perUnit, cat, tier) => { const pu = Number(perUnit); let raw = 0; for (let i = 0; i < net.length; i++) raw += (net[i] / 100) * pu * cat[i]; return Math.floor(Math.round(raw * tier * 1e6) / 1e6); };
for (const size of [1, 500]) {
  const net = Array.from({ length: size }, (_, i) => 100 + i * 7), cat = Array.from({ length: size }, (_, i) => (i % 3 ? 1 : 1.5));
  for (const [name, f] of [['float', floatPoints], ['exact', exactPoints]]) {
    for (let i = 0; i < 2000; i++) f(net, '10', cat, 1.5);
    const n = size === 1 ? 200000 : 5000; const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(net, '10', cat, 1.5);
    console.log(size, 'lines', name, (Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(2), 'µs per sale', f(net, '10', cat, 1.5));
  }
}
