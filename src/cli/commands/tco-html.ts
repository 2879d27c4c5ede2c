/**
 * The self-contained HTML page of `hearth tco --html`: inline CSS and an inline SVG chart, no
 * script, no font or anything else loaded from the network, every text escaped.
 */
import type { CostSeries, TcoResult } from "../../core/usage/tco.ts";
import { breakEvenHeader, breakEvenRows, formatPercent, formatTokens, formatUsd, summaryHeader, summaryRows } from "./tco-format.ts";

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => {
    switch (character) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      default:
        return "&#39;";
    }
  });
}

export interface TcoPageOptions {
  /** When the page was generated (shown in the footer). */
  generatedAt: Date;
}

const palette = ["#1b7837", "#5e3c99", "#2166ac", "#b2182b", "#e08214", "#35978f", "#c51b7d", "#8c510a", "#4d4d4d", "#762a83", "#01665e", "#d6604d"];

const chart = { width: 900, plotTop: 20, plotLeft: 86, plotRight: 24, plotHeight: 380, legendRowHeight: 20, legendColumns: 3 };

function coordinate(value: number): string {
  return value.toFixed(1);
}

/** Powers of ten in [min, max] (inclusive, with float tolerance). */
function decades(min: number, max: number): number[] {
  const values: number[] = [];
  for (let exponent = Math.ceil(Math.log10(min) - 1e-9); exponent <= Math.floor(Math.log10(max) + 1e-9); exponent++) values.push(10 ** exponent);
  return values;
}

function compactUsd(value: number): string {
  if (value >= 1e4) return `$${formatTokens(value)}`;
  if (value >= 1) return `$${Number(value.toPrecision(3)).toLocaleString("en-US")}`;
  return `$${Number(value.toPrecision(2))}`;
}

/** The chart: cost per month against tokens per month, both on log scales. */
export function renderChart(result: TcoResult): string {
  const plotWidth = chart.width - chart.plotLeft - chart.plotRight;
  const plotBottom = chart.plotTop + chart.plotHeight;
  const markerLegendTop = plotBottom + 66;
  const legendTop = markerLegendTop + 24;
  const legendRows = Math.ceil(result.series.length / chart.legendColumns);
  const height = legendTop + legendRows * chart.legendRowHeight + 10;

  const xMin = result.volumeRange.min;
  const xMax = result.volumeRange.max;
  const costs = result.series.flatMap((series) => series.points.map((point) => point.costPerMonth)).filter((cost) => cost > 0 && Number.isFinite(cost));
  const yMaxRaw = costs.length === 0 ? 1 : Math.max(...costs);
  const yMax = 10 ** Math.ceil(Math.log10(yMaxRaw) + 1e-9);
  // Never more than eight decades of cost: below that the lines only crowd the bottom edge.
  const yMin = Math.max(10 ** Math.floor(Math.log10(costs.length === 0 ? 0.01 : Math.min(...costs))), yMax / 1e8);

  const x = (volume: number) => chart.plotLeft + ((Math.log10(volume) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * plotWidth;
  const y = (cost: number) => {
    const clamped = Math.min(Math.max(cost, yMin), yMax);
    return plotBottom - ((Math.log10(clamped) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * chart.plotHeight;
  };
  const colours = new Map<string, string>(result.series.map((series, index) => [`${series.kind}:${series.name}`, palette[index % palette.length] as string]));
  const colourOf = (series: Pick<CostSeries, "kind" | "name">) => colours.get(`${series.kind}:${series.name}`) ?? "#000";

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${chart.width} ${height}" width="${chart.width}" height="${height}" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">Cost per month against tokens per month (log scales)</title>`,
    `<rect x="${chart.plotLeft}" y="${chart.plotTop}" width="${plotWidth}" height="${chart.plotHeight}" fill="#fff" stroke="#999"/>`,
  );
  for (const volume of decades(xMin, xMax)) {
    const position = coordinate(x(volume));
    parts.push(
      `<line class="grid" x1="${position}" y1="${chart.plotTop}" x2="${position}" y2="${plotBottom}"/>`,
      `<text class="tick" x="${position}" y="${plotBottom + 18}" text-anchor="middle">${escapeHtml(formatTokens(volume))}</text>`,
    );
  }
  for (const cost of decades(yMin, yMax)) {
    const position = coordinate(y(cost));
    parts.push(
      `<line class="grid" x1="${chart.plotLeft}" y1="${position}" x2="${chart.plotLeft + plotWidth}" y2="${position}"/>`,
      `<text class="tick" x="${chart.plotLeft - 8}" y="${position}" text-anchor="end" dominant-baseline="middle">${escapeHtml(compactUsd(cost))}</text>`,
    );
  }
  parts.push(
    `<text class="axis" x="${coordinate(chart.plotLeft + plotWidth / 2)}" y="${plotBottom + 42}" text-anchor="middle">tokens per month (log scale)</text>`,
    `<text class="axis" transform="translate(18 ${coordinate(chart.plotTop + chart.plotHeight / 2)}) rotate(-90)" text-anchor="middle">cost per month, USD (log scale)</text>`,
  );

  for (const series of result.series) {
    const points = series.points
      .filter((point) => point.tokensPerMonth >= xMin && point.tokensPerMonth <= xMax)
      .map((point) => `${coordinate(x(point.tokensPerMonth))},${coordinate(y(point.costPerMonth))}`)
      .join(" ");
    const style = series.kind === "self-hosted" ? `stroke-width="3"` : `stroke-width="1.8" stroke-dasharray="7 4"`;
    parts.push(
      `<polyline class="series" fill="none" stroke="${colourOf(series)}" ${style} points="${points}"><title>${escapeHtml(series.name)}</title></polyline>`,
    );
  }

  const volumeX = coordinate(x(result.tokensPerMonth));
  parts.push(
    `<line x1="${volumeX}" y1="${chart.plotTop}" x2="${volumeX}" y2="${plotBottom}" stroke="#000" stroke-width="1.2" stroke-dasharray="2 3"/>`,
    `<text class="marker" x="${volumeX}" y="${chart.plotTop + 14}" text-anchor="${x(result.tokensPerMonth) > chart.plotLeft + plotWidth * 0.8 ? "end" : "start"}" dx="${x(result.tokensPerMonth) > chart.plotLeft + plotWidth * 0.8 ? -4 : 4}">your volume: ${escapeHtml(formatTokens(result.tokensPerMonth))}</text>`,
  );

  for (const entry of result.breakEvens) {
    if (entry.volume === undefined || entry.costPerMonth === undefined || entry.volume < xMin || entry.volume > xMax || entry.volume <= 0) continue;
    const label = `${entry.selfHosted} costs the same as ${entry.closed} at ${formatTokens(entry.volume)} tokens/month (${formatUsd(entry.costPerMonth)}/month)`;
    parts.push(
      `<circle class="break-even" cx="${coordinate(x(entry.volume))}" cy="${coordinate(y(entry.costPerMonth))}" r="5" fill="#fff" stroke="${colourOf({ kind: "closed", name: entry.closed })}" stroke-width="2.5"><title>${escapeHtml(label)}</title></circle>`,
    );
  }

  const columnWidth = (chart.width - chart.plotLeft) / chart.legendColumns;
  result.series.forEach((series, index) => {
    const left = chart.plotLeft + (index % chart.legendColumns) * columnWidth;
    const top = legendTop + Math.floor(index / chart.legendColumns) * chart.legendRowHeight;
    const style = series.kind === "self-hosted" ? `stroke-width="3"` : `stroke-width="1.8" stroke-dasharray="7 4"`;
    parts.push(
      `<g class="legend-item"><line x1="${coordinate(left)}" y1="${top}" x2="${coordinate(left + 28)}" y2="${top}" stroke="${colourOf(series)}" ${style}/>` +
        `<text class="legend" x="${coordinate(left + 36)}" y="${top}" dominant-baseline="middle">${escapeHtml(series.name)}${series.kind === "self-hosted" ? " (self-hosted)" : ""}</text></g>`,
    );
  });
  parts.push(
    `<circle cx="${chart.plotLeft + 6}" cy="${markerLegendTop}" r="5" fill="#fff" stroke="#333" stroke-width="2.5"/>`,
    `<text class="legend" x="${chart.plotLeft + 18}" y="${markerLegendTop}" dominant-baseline="middle">break-even: self-hosting costs the same as that API (edge colour = the API)</text>`,
  );
  parts.push("</svg>");
  return parts.join("\n");
}

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join("");
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("\n");
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

const styles = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; margin: 2rem auto; max-width: 960px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; }
.lead { color: #444; margin-top: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right; font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
th { background: #f4f4f4; }
svg { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg .grid { stroke: #e5e5e5; stroke-width: 1; }
svg .tick { fill: #555; }
svg .axis { fill: #222; font-size: 13px; }
svg .marker { fill: #000; font-size: 12px; }
svg .legend { fill: #222; }
ul.assumptions li { margin: 0.2rem 0; }
.subject { font-weight: 600; }
.warning { background: #fff4e5; border-left: 4px solid #e08214; padding: 0.5rem 0.8rem; }
footer { margin-top: 2rem; color: #666; font-size: 0.85rem; }
`;

/** The whole page. */
export function renderTcoHtml(result: TcoResult, options: TcoPageOptions): string {
  const title = `Hearth — total cost of ownership at ${formatTokens(result.tokensPerMonth)} tokens per month`;
  const assumptions = result.assumptions
    .map((assumption) => `<li><span class="subject">${escapeHtml(assumption.subject)}:</span> ${escapeHtml(assumption.text)}</li>`)
    .join("\n");
  const unpriced =
    result.unpriced.length === 0
      ? ""
      : `<p class="warning">No price known for ${escapeHtml(result.unpriced.join(", "))}: left out rather than guessed.</p>\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${styles}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="lead">${escapeHtml(
    `${formatPercent(result.inputShare)} input, ${formatPercent(1 - result.inputShare)} output. ` +
      `Closed API prices from Hearth's bundled table dated ${result.priceTableAsOf} (check them; overrides win). Every assumption is listed below.`,
  )}</p>
${unpriced}<figure>
${renderChart(result)}
<figcaption>Cost per month against tokens per month. Solid lines: self-hosting (steps where another machine is needed); dashed: closed APIs; dotted vertical line: your volume; circles: break-even points.</figcaption>
</figure>
<h2>At ${escapeHtml(formatTokens(result.tokensPerMonth))} tokens per month</h2>
${htmlTable(summaryHeader, summaryRows(result))}
<h2>Break-even</h2>
${result.breakEvens.length === 0 ? "<p>No self-hosted option or no priced closed API to compare.</p>" : htmlTable(breakEvenHeader, breakEvenRows(result))}
<h2>Assumptions</h2>
<ul class="assumptions">
${assumptions}
</ul>
<footer>${escapeHtml(`Price table dated ${result.priceTableAsOf}. Generated by hearth tco on ${options.generatedAt.toISOString()}.`)}</footer>
</body>
</html>
`;
}
