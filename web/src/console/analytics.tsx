import { useApolloClient, useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, LabelList, Legend, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { problemOf, ProblemAlert, retryOf, type ApiProblem } from '../shared/errors';
import { DAY_MS, formatPoints, Loading, PageTitle } from '../shared/ui';
import { formatMoney } from '../shared/money';
import { ConsoleCurrenciesDocument, ConsoleProgramStatsDocument, type ConsoleProgramStatsQuery } from './gql/graphql';
import { APP } from './shell';

type Stats = NonNullable<ConsoleProgramStatsQuery['programStats']>;
// The windows are UTC days (windows() below), and the axis reads "11-27": say so (newcomer-22).
const PERIODS = { days: { label: 'Last 7 days, by day (UTC)', count: 7, size: DAY_MS }, weeks: { label: 'Last 8 weeks, by week (UTC)', count: 8, size: 7 * DAY_MS } } as const;
const COLORS = ['#166534', '#1d4ed8', '#b45309', '#7c3aed', '#be123c', '#0f766e'];

/** [from, to) windows ending at the end of today (UTC). */
function windows(period: keyof typeof PERIODS): { from: string; to: string; label: string }[] {
  const { count, size } = PERIODS[period];
  const end = Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS;
  return Array.from({ length: count }, (_, i) => {
    const to = end - (count - 1 - i) * size;
    const from = to - size;
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), label: new Date(from).toISOString().slice(5, 10) };
  });
}

/**
 * Program analytics from `programStats`: points issued, spent and expired per period, the
 * outstanding liability, redemption rate, tier mix and top offers, as charts (recharts) each with
 * its figures in a table for screen readers and keyboard users.
 */
export function Analytics() {
  const client = useApolloClient();
  const currencies = useQuery(ConsoleCurrenciesDocument);
  const [currency, setCurrency] = useState('');
  const [period, setPeriod] = useState<keyof typeof PERIODS>('days');
  const [series, setSeries] = useState<{ label: string; issued: number; spent: number; expired: number }[] | null>(null);
  const [total, setTotal] = useState<Stats | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  // Bumped by the alert's "Try again": the figures are read again (web-22).
  const [attempt, setAttempt] = useState(0);
  const code = currency || currencies.data?.currencies[0]?.code || '';

  useEffect(() => {
    if (!code) return;
    let live = true;
    const slots = windows(period);
    const ask = (from: string, to: string) => client.query({ query: ConsoleProgramStatsDocument, variables: { currency: code, from, to }, fetchPolicy: 'network-only' }).then((r) => r.data?.programStats ?? null);
    setSeries(null);
    setTotal(null);
    setProblem(null);
    Promise.all([ask(slots[0].from, slots[slots.length - 1].to), ...slots.map((s) => ask(s.from, s.to))]).then(
      ([whole, ...parts]) => {
        if (!live) return;
        setTotal(whole);
        setSeries(parts.map((p, i) => ({ label: slots[i].label, issued: Number(p?.pointsIssued ?? 0), spent: Number(p?.pointsSpent ?? 0), expired: Number(p?.pointsExpired ?? 0) })));
      },
      (error) => live && setProblem(problemOf(error)),
    );
    return () => {
      live = false;
    };
  }, [client, code, period, attempt]);

  const money = currencies.data?.currencies.find((c) => c.code === code)?.moneyCurrency ?? 'EUR';
  const tierMix = total?.tierMix.map((t) => ({ name: t.tier?.name ?? 'No tier', members: t.members })) ?? [];
  const topOffers = total?.topOffers.map((o) => ({ name: o.offer?.name ?? 'Removed offer', purchases: o.purchases, redemptions: o.redemptions })) ?? [];

  return (
    <>
      <PageTitle app={APP}>Analytics</PageTitle>
      <div className="row">
        <div>
          <label htmlFor="a-currency">Currency</label>
          <select id="a-currency" value={code} onChange={(e) => setCurrency(e.target.value)}>
            {currencies.data?.currencies.map((c) => (
              <option key={c.code}>{c.code}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="a-period">Period</label>
          <select id="a-period" value={period} onChange={(e) => setPeriod(e.target.value as keyof typeof PERIODS)}>
            {Object.entries(PERIODS).map(([key, p]) => (
              <option key={key} value={key}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ProblemAlert problem={problem ?? (currencies.error ? problemOf(currencies.error) : null)} onRetry={problem ? () => setAttempt((n) => n + 1) : retryOf(currencies)} />
      {!total && !problem ? <Loading what="program figures" /> : null}
      {total ? (
        <section aria-labelledby="kpi-h">
          <h2 id="kpi-h">{PERIODS[period].label}</h2>
          <div className="stats" data-testid="kpis">
            <div className="card">
              <p className="muted">Outstanding liability, as of now</p>
              <p className="big" data-testid="kpi-liability">
                {formatMoney(total.outstandingLiability, money)}
              </p>
              <p className="muted">{formatPoints(total.outstandingPoints, code)} held by members</p>
              <p className="muted" data-testid="kpi-pending">
                {formatMoney(total.pendingLiability, money)} more pending ({formatPoints(total.pendingPoints, code)} not yet released)
              </p>
              {Number(total.closedPoints) > 0 ? (
                <p className="muted" data-testid="kpi-closed">
                  {formatPoints(total.closedPoints, code)} held by closed accounts: not in the liability, theirs again if reopened
                </p>
              ) : null}
            </div>
            <div className="card">
              <p className="muted">Redemption rate</p>
              <p className="big" data-testid="kpi-redemption">
                {(total.redemptionRate * 100).toFixed(1)}%
              </p>
              <p className="muted">spent ÷ issued in the period</p>
            </div>
            <div className="card">
              <p className="muted">Points issued</p>
              <p className="big" data-testid="kpi-issued">
                {formatPoints(total.pointsIssued)}
              </p>
              <p className="muted">
                spent {formatPoints(total.pointsSpent)} · expired {formatPoints(total.pointsExpired)}
              </p>
            </div>
            <div className="card">
              <p className="muted">Active members</p>
              <p className="big" data-testid="kpi-active">
                {formatPoints(total.activeMembers)}
              </p>
              <p className="muted">did something in the period</p>
            </div>
          </div>
        </section>
      ) : null}
      {series ? (
        <figure className="card" aria-labelledby="flow-caption" data-testid="chart-flow">
          <figcaption id="flow-caption">
            <h2>Points issued, spent and expired</h2>
          </figcaption>
          <div className="chart" aria-hidden="true">
            <ResponsiveContainer width="100%" height={280}>
              <BarChart data={series} margin={{ top: 20, right: 10, left: 0, bottom: 0 }} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="label" />
                <YAxis allowDecimals={false} />
                <Tooltip />
                <Legend />
                <Bar dataKey="issued" name="Issued" fill={COLORS[0]} isAnimationActive={false}>
                  <LabelList dataKey="issued" position="top" formatter={(v: unknown) => (Number(v) ? String(v) : '')} />
                </Bar>
                <Bar dataKey="spent" name="Spent" fill={COLORS[1]} isAnimationActive={false}>
                  <LabelList dataKey="spent" position="top" formatter={(v: unknown) => (Number(v) ? String(v) : '')} />
                </Bar>
                <Bar dataKey="expired" name="Expired" fill={COLORS[2]} isAnimationActive={false}>
                  <LabelList dataKey="expired" position="top" formatter={(v: unknown) => (Number(v) ? String(v) : '')} />
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          </div>
          <details>
            <summary>Figures</summary>
            <FiguresTable
              testId="table-flow"
              columns={[
                ['From', 'label'],
                ['Issued', 'issued'],
                ['Spent', 'spent'],
                ['Expired', 'expired'],
              ]}
              rows={series}
            />
          </details>
        </figure>
      ) : null}
      {total ? (
        <div className="grid wide" style={{ marginTop: '1rem' }}>
          <figure className="card" aria-labelledby="tier-caption" data-testid="chart-tiers">
            <figcaption id="tier-caption">
              <h2>Tier mix</h2>
              <p className="muted">every member now, active in the period or not</p>
            </figcaption>
            <div className="chart" aria-hidden="true">
              <ResponsiveContainer width="100%" height={260}>
                <PieChart accessibilityLayer={false}>
                  <Pie rootTabIndex={-1} data={tierMix} dataKey="members" nameKey="name" outerRadius={80} label={({ name, value }) => `${name}: ${value}`} isAnimationActive={false}>
                    {tierMix.map((t, i) => (
                      <Cell key={t.name} fill={COLORS[i % COLORS.length]} />
                    ))}
                  </Pie>
                  <Tooltip />
                </PieChart>
              </ResponsiveContainer>
            </div>
            <FiguresTable
              testId="table-tiers"
              columns={[
                ['Tier', 'name'],
                ['Members', 'members'],
              ]}
              rows={tierMix}
            />
          </figure>
          <figure className="card" aria-labelledby="offers-caption" data-testid="chart-offers">
            <figcaption id="offers-caption">
              <h2>Top offers</h2>
            </figcaption>
            <div className="chart" aria-hidden="true">
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={topOffers} layout="vertical" margin={{ left: 10, right: 30 }} accessibilityLayer={false}>
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="name" width={140} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="purchases" name="Bought" fill={COLORS[1]} isAnimationActive={false}>
                    <LabelList dataKey="purchases" position="right" />
                  </Bar>
                  <Bar dataKey="redemptions" name="Redeemed" fill={COLORS[0]} isAnimationActive={false}>
                    <LabelList dataKey="redemptions" position="right" />
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </div>
            <FiguresTable
              testId="table-offers"
              columns={[
                ['Offer', 'name'],
                ['Bought', 'purchases'],
                ['Redeemed', 'redemptions'],
              ]}
              rows={topOffers}
            />
          </figure>
        </div>
      ) : null}
    </>
  );
}

/**
 * A chart's figures as a table (the chart itself is hidden from assistive technology): the first
 * column names the row (`<td>`), the others are numbers (`className="num"`, right-aligned). Columns
 * are `[heading, key of the row]`; rows are keyed by their first column's value, which is unique
 * in each chart (a window's label, a tier's or an offer's name).
 */
function FiguresTable<Row extends Record<string, string | number>>({ testId, columns, rows }: { testId: string; columns: [string, keyof Row & string][]; rows: Row[] }) {
  const [[first, firstKey], ...figures] = columns;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">{first}</th>
          {figures.map(([heading]) => (
            <th key={heading} scope="col" className="num">
              {heading}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={String(row[firstKey])}>
            <td>{row[firstKey]}</td>
            {figures.map(([heading, key]) => (
              <td key={heading} className="num">
                {row[key]}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
