/** The value of the series `series` on a /metrics page `text` (its name and labels exactly as shown), or undefined when absent. */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** `seriesValue`, 0 when the series is absent (a counter not yet incremented). */
export function seriesCount(text: string, series: string): number {
  return seriesValue(text, series) ?? 0;
}
