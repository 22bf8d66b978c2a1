// Threat Hunting: the query bar, a time picker, the histogram, top source IPs and the alerts table.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, formatTime, type Alert, type ApiFailure, type Histogram as HistogramData, type SearchPage } from "./api";
import { Histogram } from "./Histogram";

const RANGES = [
  { id: "15m", label: "Last 15 minutes", ms: 15 * 60_000 },
  { id: "1h", label: "Last hour", ms: 3_600_000 },
  { id: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { id: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
  { id: "all", label: "All time", ms: 0 },
  { id: "custom", label: "Custom…", ms: 0 },
] as const;

type RangeId = (typeof RANGES)[number]["id"];

type Applied = {
  q: string;
  from?: string;
  to?: string;
};

interface TopValue {
  value: string;
  count: number;
}

const PAGE_SIZE = 50;

/** Absolute times for the whole search (page, histogram, top, later pages), so they all count the same alerts. */
function timeWindow(range: RangeId, customFrom: string, customTo: string): { from?: string; to?: string } {
  if (range === "all") return {};
  if (range === "custom") {
    return { from: customFrom ? new Date(customFrom).toISOString() : undefined, to: customTo ? new Date(customTo).toISOString() : undefined };
  }
  const ms = RANGES.find((r) => r.id === range)!.ms;
  const now = Date.now();
  return { from: new Date(now - ms).toISOString(), to: new Date(now + 1).toISOString() };
}

export function Hunt() {
  const params = new URLSearchParams(location.search);
  const [query, setQuery] = useState(params.get("q") ?? "");
  const [range, setRange] = useState<RangeId>((params.get("range") as RangeId) ?? "24h");
  const [customFrom, setCustomFrom] = useState("");
  const [customTo, setCustomTo] = useState("");
  const [applied, setApplied] = useState<Applied | null>(null);
  const [page, setPage] = useState<SearchPage | null>(null);
  const [histogram, setHistogram] = useState<HistogramData | null>(null);
  const [top, setTop] = useState<TopValue[]>([]);
  const [failure, setFailure] = useState<(ApiFailure & { query: string }) | null>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<Set<string>>(new Set());

  async function search(q = query) {
    const scope: Applied = { q, ...timeWindow(range, customFrom, customTo) };
    setBusy(true);
    setFailure(null);
    history.replaceState(null, "", `/?${new URLSearchParams({ q, range }).toString()}`);
    try {
      const [p, h, t] = await Promise.all([
        api<SearchPage>("/api/alerts", { params: { ...scope, size: PAGE_SIZE } }),
        api<HistogramData>("/api/alerts/histogram", { params: scope }),
        api<{ buckets: TopValue[] }>("/api/alerts/top", { params: { ...scope, field: "data.srcip", size: 5 } }),
      ]);
      setApplied(scope);
      setPage(p);
      setHistogram(h);
      setTop(t.buckets);
      setOpen(new Set());
    } catch (err) {
      if (err instanceof ApiError) setFailure({ ...err.failure, query: q });
      else setFailure({ status: 0, error: String(err), query: q });
    } finally {
      setBusy(false);
    }
  }

  async function more() {
    if (!applied || !page?.next) return;
    const next = await api<SearchPage>("/api/alerts", { params: { ...applied, size: PAGE_SIZE, cursor: page.next } });
    setPage({ items: [...page.items, ...next.items], total: next.total, next: next.next });
  }

  function filterBy(field: string, value: string) {
    const term = `${field}:"${value.replace(/(["\\])/g, "\\$1")}"`;
    const q = query.trim() ? `(${query.trim()}) and ${term}` : term;
    setQuery(q);
    void search(q);
  }

  useEffect(() => {
    void search();
  }, [range]);

  const toggle = (id: string) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };

  return (
    <section class="hunt">
      <form
        class="searchbar"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <input
          name="q"
          data-testid="query"
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
          placeholder="rule.id:(651 OR 100100) and agent.name:ubuntu"
          spellcheck={false}
          autocomplete="off"
        />
        <select data-testid="range" value={range} onChange={(e) => setRange((e.target as HTMLSelectElement).value as RangeId)}>
          {RANGES.map((r) => (
            <option value={r.id}>{r.label}</option>
          ))}
        </select>
        <button type="submit" data-testid="search" disabled={busy}>
          {busy ? "Searching…" : "Search"}
        </button>
      </form>
      {range === "custom" && (
        <div class="custom-range">
          <label>
            from <input type="datetime-local" step="1" value={customFrom} onInput={(e) => setCustomFrom((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            to <input type="datetime-local" step="1" value={customTo} onInput={(e) => setCustomTo((e.target as HTMLInputElement).value)} />
          </label>
        </div>
      )}
      <details class="cheatsheet">
        <summary>Query language</summary>
        <code>rule.id:(651 OR 100100)</code> <code>agent.name:ubuntu and not rule.level &lt; 5</code> <code>data.srcip:203.0.113.0/24</code>{" "}
        <code>rule.level &gt;= 10</code> <code>rule.level:[5 TO 10]</code> <code>data.url:/admin*</code> <code>"Failed password"</code>{" "}
        <code>data.srcip:*</code> <code>timestamp &gt;= now-1h</code>
      </details>
      {failure && (
        <pre class="query-error" data-testid="query-error">
          {failure.position !== undefined ? `${failure.query}\n${" ".repeat(failure.position)}^\n` : ""}
          {failure.error}
        </pre>
      )}
      <div class="results">
        <div class="main">
          <Histogram data={histogram} />
          {page && (
            <>
              <p class="hits" data-testid="hits">
                {page.total.toLocaleString()} hit{page.total === 1 ? "" : "s"}
              </p>
              <table class="alerts" data-testid="alerts">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>agent.name</th>
                    <th>rule.id</th>
                    <th>rule.level</th>
                    <th>rule.description</th>
                    <th>data.srcip</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((a) => (
                    <AlertRows alert={a} open={open.has(a.id)} onToggle={() => toggle(a.id)} onFilter={filterBy} />
                  ))}
                </tbody>
              </table>
              {page.next && (
                <button class="more" onClick={() => void more()}>
                  Show more
                </button>
              )}
            </>
          )}
        </div>
        <aside class="top">
          <h3>Top source IPs</h3>
          <ol>
            {top.map((t) => (
              <li>
                <a href="#" onClick={(e) => (e.preventDefault(), filterBy("data.srcip", t.value))}>
                  {t.value}
                </a>{" "}
                <span class="count">{t.count}</span>
              </li>
            ))}
          </ol>
        </aside>
      </div>
    </section>
  );
}

function flatten(alert: Alert): [string, string][] {
  const rows: [string, string][] = [
    ["id", alert.id],
    ["timestamp", alert.timestamp],
    ["rule.id", alert.rule.id],
    ["rule.level", String(alert.rule.level)],
    ["rule.description", alert.rule.description],
    ["rule.groups", alert.rule.groups.join(", ")],
    ["rule.firedtimes", String(alert.rule.firedtimes)],
    ["agent.id", alert.agent.id],
    ["agent.name", alert.agent.name],
    ["agent.ip", alert.agent.ip ?? ""],
    ["decoder.name", alert.decoder.name ?? ""],
    ...Object.entries(alert.data).map(([k, v]) => [`data.${k}`, v] as [string, string]),
    ["location", alert.location],
    ["full_log", alert.full_log],
  ];
  return rows;
}

function AlertRows({ alert, open, onToggle, onFilter }: { alert: Alert; open: boolean; onToggle: () => void; onFilter: (field: string, value: string) => void }) {
  return (
    <>
      <tr class={`alert level-${alert.rule.level >= 12 ? "high" : alert.rule.level >= 7 ? "medium" : "low"}`} data-testid="alert-row" data-rule-id={alert.rule.id} onClick={onToggle}>
        <td class="time">{formatTime(alert.timestamp)}</td>
        <td>{alert.agent.name}</td>
        <td>{alert.rule.id}</td>
        <td>{alert.rule.level}</td>
        <td>{alert.rule.description}</td>
        <td>{alert.data.srcip ?? ""}</td>
      </tr>
      {open && (
        <tr class="details" data-testid="alert-details">
          <td colSpan={6}>
            <table class="fields">
              <tbody>
                {flatten(alert).map(([k, v]) => (
                  <tr>
                    <th>{k}</th>
                    <td>
                      {v}
                      {v && k !== "full_log" && k !== "id" && k !== "timestamp" && (
                        <button class="filter" title={`filter on ${k}`} onClick={(e) => (e.stopPropagation(), onFilter(k, k === "rule.groups" ? alert.rule.groups[0] : v))}>
                          +
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <details>
              <summary>JSON</summary>
              <pre>{JSON.stringify(alert, null, 2)}</pre>
            </details>
          </td>
        </tr>
      )}
    </>
  );
}
