// Hand-written SVG charts. The CSP allows styles from 'self' only (no 'unsafe-inline'), and chart libraries
// such as recharts set inline style attributes on their wrappers and tooltips; here every colour comes from
// classes in styles.css and every position from SVG geometry attributes, so nothing needs an inline style.
// Each chart carries an accessible name and its numbers as <title> elements (hover tooltips for free).

const W = 640;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

export interface Point {
  label: string;
  value: number;
}

function niceMax(values: readonly number[]): number {
  const max = Math.max(0, ...values);
  if (max === 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / magnitude) * magnitude;
}

function YAxis({ max, format }: { max: number; format: (v: number) => string }) {
  const ticks = [0, 0.5, 1].map((f) => f * max);
  const inner = H - PAD.top - PAD.bottom;
  return (
    <g className="chart-axis">
      {ticks.map((t) => {
        const y = PAD.top + inner - (t / max) * inner;
        return (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} className="chart-grid" />
            <text x={PAD.left - 6} y={y + 4} textAnchor="end">
              {format(t)}
            </text>
          </g>
        );
      })}
    </g>
  );
}

/** A line with the area under it: sales over time. */
export function AreaChart({
  label,
  points,
  format,
}: {
  label: string;
  points: readonly Point[];
  format: (v: number) => string;
}) {
  if (points.length === 0) return <p className="muted">No data in this period.</p>;
  const max = niceMax(points.map((p) => p.value));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length === 1 ? innerW / 2 : (i / (points.length - 1)) * innerW);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;
  const line = points
    .map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join(" ");
  const baseY = (PAD.top + innerH).toFixed(1);
  const area = `${line} L${x(points.length - 1).toFixed(1)},${baseY} L${x(0).toFixed(1)},${baseY} Z`;
  const first = points[0];
  const last = points[points.length - 1];
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-chart="area">
      <YAxis max={max} format={format} />
      <path d={area} className="chart-area" />
      <path d={line} className="chart-line" />
      {points.map((p, i) => (
        <circle key={p.label} cx={x(i)} cy={y(p.value)} r={3} className="chart-dot">
          <title>{`${p.label}: ${format(p.value)}`}</title>
        </circle>
      ))}
      <g className="chart-axis">
        {first && (
          <text x={x(0)} y={H - 8} textAnchor="start">
            {first.label}
          </text>
        )}
        {last && points.length > 1 && (
          <text x={x(points.length - 1)} y={H - 8} textAnchor="end">
            {last.label}
          </text>
        )}
      </g>
    </svg>
  );
}

/** Vertical bars, one per category: orders by status. */
export function BarChart({ label, bars }: { label: string; bars: readonly Point[] }) {
  if (bars.length === 0) return <p className="muted">No data in this period.</p>;
  const max = niceMax(bars.map((b) => b.value));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = innerW / bars.length;
  const width = Math.min(48, slot * 0.7);
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-chart="bar">
      <YAxis max={max} format={(v) => String(Math.round(v))} />
      {bars.map((b, i) => {
        const h = (b.value / max) * innerH;
        const cx = PAD.left + slot * i + slot / 2;
        return (
          <g key={b.label}>
            <rect x={cx - width / 2} y={PAD.top + innerH - h} width={width} height={h} className="chart-bar">
              <title>{`${b.label}: ${b.value}`}</title>
            </rect>
            <text x={cx} y={H - 8} textAnchor="middle" className="chart-axis-label">
              {b.label.replaceAll("_", " ").toLowerCase()}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export interface PairedPoint {
  label: string;
  a: number;
  b: number;
}

/** Two bars per period: fees against proceeds. */
export function PairedBarChart({
  label,
  groups,
  aLabel,
  bLabel,
  format,
}: {
  label: string;
  groups: readonly PairedPoint[];
  aLabel: string;
  bLabel: string;
  format: (v: number) => string;
}) {
  if (groups.length === 0) return <p className="muted">No data in this period.</p>;
  const max = niceMax(groups.flatMap((g) => [g.a, g.b]));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const slot = innerW / groups.length;
  const width = Math.max(2, Math.min(24, slot * 0.35));
  const h = (v: number) => (Math.max(0, v) / max) * innerH;
  const step = Math.ceil(groups.length / 8);
  return (
    <figure className="chart-figure">
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-chart="paired">
        <YAxis max={max} format={format} />
        {groups.map((g, i) => {
          const cx = PAD.left + slot * i + slot / 2;
          return (
            <g key={g.label}>
              <rect
                x={cx - width}
                y={PAD.top + innerH - h(g.a)}
                width={width}
                height={h(g.a)}
                className="chart-bar-alt"
              >
                <title>{`${g.label} ${aLabel}: ${format(g.a)}`}</title>
              </rect>
              <rect x={cx} y={PAD.top + innerH - h(g.b)} width={width} height={h(g.b)} className="chart-bar">
                <title>{`${g.label} ${bLabel}: ${format(g.b)}`}</title>
              </rect>
              {i % step === 0 && (
                <text x={cx} y={H - 8} textAnchor="middle" className="chart-axis-label">
                  {g.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="chart-legend">
        <span className="legend-swatch legend-alt" aria-hidden="true" /> {aLabel}
        <span className="legend-swatch" aria-hidden="true" /> {bLabel}
      </figcaption>
    </figure>
  );
}
