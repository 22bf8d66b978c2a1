// Agents, active blocks and reputation lists.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, formatTime, relative } from "./api";

function useLoad<T>(path: string, everyMs = 0): { data: T | null; error: string | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => {
    api<T>(path).then(
      (d) => (setData(d), setError(null)),
      (err: unknown) => setError(err instanceof ApiError ? err.failure.error : String(err)),
    );
  };
  useEffect(() => {
    reload();
    if (!everyMs) return;
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [path]);
  return { data, error, reload };
}

/** Re-renders every second (countdowns). */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

interface Agent {
  id: string;
  name: string;
  ip: string | null;
  os: string | null;
  version: string | null;
  groups: string[];
  status: string;
  lastKeepalive: string | null;
}

export function Agents() {
  const { data, error } = useLoad<{ items: Agent[] }>("/api/agents", 10_000);
  const now = useNow();
  return (
    <section>
      <h2>Agents</h2>
      {error && <p class="error">{error}</p>}
      {data && data.items.length === 0 && <p>No agent is enrolled yet: <code>tld agent enroll</code> on an endpoint.</p>}
      {data && data.items.length > 0 && (
        <table class="grid" data-testid="agents">
          <thead>
            <tr>
              <th>ID</th>
              <th>Name</th>
              <th>IP</th>
              <th>OS</th>
              <th>Version</th>
              <th>Groups</th>
              <th>Status</th>
              <th>Last keepalive</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((a) => (
              <tr>
                <td>{a.id}</td>
                <td>{a.name}</td>
                <td>{a.ip ?? ""}</td>
                <td>{a.os ?? ""}</td>
                <td>{a.version ?? ""}</td>
                <td>{a.groups.join(", ")}</td>
                <td>
                  <span class={`status ${a.status}`}>{a.status.replace("_", " ")}</span>
                </td>
                <td>{a.lastKeepalive ? `${formatTime(a.lastKeepalive)} (${relative(Date.parse(a.lastKeepalive) - now)})` : "never"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

interface Block {
  agentId: string;
  agentName?: string | null;
  ip: string;
  program: string;
  ruleId: string | null;
  createdAt: number;
  expiresAt: number;
  hits: number;
  manual: boolean;
}

export function Blocks() {
  const { data, error, reload } = useLoad<{ items: Block[] }>("/api/blocks", 5_000);
  const now = useNow();
  const [message, setMessage] = useState<string | null>(null);
  const [form, setForm] = useState({ agent: "", ip: "", ttl: "600" });

  async function unblock(b: Block) {
    try {
      await api(`/api/blocks/${encodeURIComponent(b.agentId)}/${encodeURIComponent(b.ip)}`, { method: "DELETE" });
      setMessage(`unblocked ${b.ip} on agent ${b.agentName ?? b.agentId}`);
    } catch (err) {
      setMessage(err instanceof ApiError ? err.failure.error : String(err));
    }
    reload();
  }

  async function block(e: Event) {
    e.preventDefault();
    try {
      await api("/api/blocks", { method: "POST", body: { agent: form.agent, ip: form.ip, ttlSeconds: Number(form.ttl) } });
      setMessage(`blocked ${form.ip} on agent ${form.agent} for ${form.ttl} s`);
    } catch (err) {
      setMessage(err instanceof ApiError ? err.failure.error : String(err));
    }
    reload();
  }

  const active = (data?.items ?? []).filter((b) => b.expiresAt > now);
  return (
    <section>
      <h2>Active blocks</h2>
      {error && <p class="error">{error}</p>}
      {message && (
        <p class="message" data-testid="blocks-message">
          {message}
        </p>
      )}
      {data && active.length === 0 && <p data-testid="no-blocks">No IP is blocked right now.</p>}
      {active.length > 0 && (
        <table class="grid" data-testid="blocks">
          <thead>
            <tr>
              <th>Agent</th>
              <th>IP</th>
              <th>Program</th>
              <th>Rule</th>
              <th>Since</th>
              <th>Time left</th>
              <th>Hits</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {active.map((b) => (
              <tr data-testid="block-row" data-ip={b.ip}>
                <td>{b.agentName ? `${b.agentName} (${b.agentId})` : b.agentId}</td>
                <td>{b.ip}</td>
                <td>{b.program}</td>
                <td>{b.manual ? "manual" : (b.ruleId ?? "")}</td>
                <td>{formatTime(new Date(b.createdAt).toISOString())}</td>
                <td class="ttl">{Math.max(0, Math.ceil((b.expiresAt - now) / 1000))} s</td>
                <td>{b.hits}</td>
                <td>
                  <button data-testid="unblock" onClick={() => void unblock(b)}>
                    Unblock
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline" onSubmit={(e) => void block(e)}>
        <h3>Block an IP by hand</h3>
        <input placeholder="agent id or name" value={form.agent} onInput={(e) => setForm({ ...form, agent: (e.target as HTMLInputElement).value })} required />
        <input placeholder="IP" value={form.ip} onInput={(e) => setForm({ ...form, ip: (e.target as HTMLInputElement).value })} required />
        <input type="number" min="1" placeholder="seconds" value={form.ttl} onInput={(e) => setForm({ ...form, ttl: (e.target as HTMLInputElement).value })} required />
        <button type="submit">Block</button>
      </form>
    </section>
  );
}

interface ListInfo {
  name: string;
  entries: number;
  format: string;
  source: string;
  updatedAt: string;
}

export function Lists() {
  const { data, error, reload } = useLoad<{ items: ListInfo[] }>("/api/lists");
  const [message, setMessage] = useState<string | null>(null);
  const [inputs, setInputs] = useState<Record<string, string>>({});

  async function change(list: string, action: "add" | "remove" | "lookup") {
    const entry = (inputs[list] ?? "").trim();
    if (!entry) return;
    try {
      if (action === "add") {
        await api(`/api/lists/${encodeURIComponent(list)}/entries`, { method: "POST", body: { entry } });
        setMessage(`${entry} added to ${list}`);
      } else if (action === "remove") {
        const r = await api<{ removed: number }>(`/api/lists/${encodeURIComponent(list)}/entries`, { method: "DELETE", params: { entry } });
        setMessage(r.removed ? `${entry} removed from ${list}` : `${entry} was not in ${list}`);
      } else {
        const r = await api<{ matched: boolean; entry: string | null; value: string | null }>(`/api/lists/${encodeURIComponent(list)}/lookup`, { params: { key: entry } });
        setMessage(r.matched ? `${entry} is in ${list} (entry ${r.entry}${r.value ? `, value ${r.value}` : ""})` : `${entry} is not in ${list}`);
      }
    } catch (err) {
      setMessage(err instanceof ApiError ? err.failure.error : String(err));
    }
    reload();
  }

  return (
    <section>
      <h2>Reputation lists</h2>
      {error && <p class="error">{error}</p>}
      {message && (
        <p class="message" data-testid="lists-message">
          {message}
        </p>
      )}
      {data && data.items.length === 0 && <p>No list yet: <code>tld lists import FILE --name NAME</code>.</p>}
      {data && data.items.length > 0 && (
        <table class="grid" data-testid="lists">
          <thead>
            <tr>
              <th>Name</th>
              <th>Entries</th>
              <th>Format</th>
              <th>Source</th>
              <th>Updated</th>
              <th>Entry (IP, CIDR, key:value)</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((l) => (
              <tr data-list={l.name}>
                <td>{l.name}</td>
                <td class="num">{l.entries.toLocaleString()}</td>
                <td>{l.format}</td>
                <td>{l.source}</td>
                <td>{l.updatedAt ? formatTime(l.updatedAt) : ""}</td>
                <td class="entry">
                  <input value={inputs[l.name] ?? ""} onInput={(e) => setInputs({ ...inputs, [l.name]: (e.target as HTMLInputElement).value })} />
                  <button onClick={() => void change(l.name, "lookup")}>Look up</button>
                  <button onClick={() => void change(l.name, "add")}>Add</button>
                  <button onClick={() => void change(l.name, "remove")}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
