// The dashboard's single page: the login form until a session exists, then Threat Hunting, agents, active
// blocks and lists. Pages are paths (/, /agents, /blocks, /lists) so a reload or a shared link lands right.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, setUnauthorizedHandler } from "./api";
import { Hunt } from "./Hunt";
import { Agents, Blocks, Lists } from "./Pages";
import "./style.css";

const PAGES = [
  { path: "/", label: "Threat Hunting", view: Hunt },
  { path: "/agents", label: "Agents", view: Agents },
  { path: "/blocks", label: "Active blocks", view: Blocks },
  { path: "/lists", label: "Lists", view: Lists },
] as const;

function Login({ onDone }: { onDone: () => void }) {
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api("/api/login", { method: "POST", body: { username, password } });
      const next = new URLSearchParams(location.search).get("next");
      // Only our own paths: ?next= must not send anyone elsewhere.
      if (next && next.startsWith("/") && !next.startsWith("//")) location.assign(next);
      else onDone();
    } catch (err) {
      setError(err instanceof ApiError ? (err.failure.status === 429 ? "too many attempts; wait a minute" : err.failure.error) : String(err));
    }
  }
  return (
    <form class="login" onSubmit={(e) => void submit(e)} data-testid="login">
      <h1>ThreatLockDown</h1>
      <label>
        User
        <input name="username" value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} autocomplete="username" />
      </label>
      <label>
        Password
        <input name="password" type="password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} autocomplete="current-password" autofocus />
      </label>
      {error && <p class="error">{error}</p>}
      <button type="submit">Log in</button>
      <p class="hint">
        The password is TLD_ADMIN_PASSWORD, or the one <code>tld up</code> generated into <code>.tld/secrets/admin.pass</code>.
      </p>
    </form>
  );
}

function App() {
  const [state, setState] = useState<"checking" | "login" | "in">("checking");
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    setUnauthorizedHandler(() => setState("login"));
    api("/api/session").then(
      () => setState("in"),
      () => setState("login"),
    );
    const onPop = () => setPath(location.pathname);
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);
  if (state === "checking") return null;
  if (state === "login") return <Login onDone={() => setState("in")} />;
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0];
  const View = page.view;
  const go = (e: Event, to: string) => {
    e.preventDefault();
    history.pushState(null, "", to);
    setPath(to);
  };
  return (
    <>
      <header>
        <strong>ThreatLockDown</strong>
        <nav>
          {PAGES.map((p) => (
            <a href={p.path} class={p === page ? "current" : ""} onClick={(e) => go(e, p.path)}>
              {p.label}
            </a>
          ))}
          <a href="/docs" target="_blank" rel="noopener">
            API
          </a>
        </nav>
        <button class="logout" onClick={() => void api("/api/logout", { method: "POST" }).finally(() => setState("login"))}>
          Log out
        </button>
      </header>
      <main>
        <View key={page.path} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
