// Alerts over time as SVG bars: small, no chart library.
import type { Histogram as HistogramData } from "./api";
import { formatTime } from "./api";

export function Histogram({ data }: { data: HistogramData | null }) {
  if (!data || data.buckets.length === 0) return <div class="histogram empty">no alerts in this time range</div>;
  const width = 1000;
  const height = 120;
  const max = Math.max(1, ...data.buckets.map((b) => b.count));
  const barWidth = width / data.buckets.length;
  return (
    <figure class="histogram" data-testid="histogram">
      <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={`alerts per ${data.interval}`}>
        {data.buckets.map((b, i) => {
          const h = (b.count / max) * (height - 4);
          return (
            <rect x={i * barWidth + 0.5} y={height - h} width={Math.max(1, barWidth - 1)} height={h} class="bar">
              <title>{`${formatTime(b.time)}: ${b.count} alert${b.count === 1 ? "" : "s"}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption>
        <span>{formatTime(data.buckets[0].time)}</span>
        <span>
          {data.total.toLocaleString()} alerts, per {data.interval}
        </span>
        <span>{formatTime(data.buckets[data.buckets.length - 1].time)}</span>
      </figcaption>
    </figure>
  );
}
